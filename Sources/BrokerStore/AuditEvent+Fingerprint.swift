import ReferralProtocol

extension AuditEvent {
    /// The fingerprint of a CURVE public key (its 32 raw octets) as audited: the first 16 lowercase hex digits of
    /// its SHA-256.
    public static func keyFingerprint(of publicKey: [UInt8]) -> String {
        String(SHA256.hex(SHA256.hash(publicKey)).prefix(16))
    }
}
