import ZeroMQ

/// The CURVE keys a node connects with: the broker's public key and this node's key pair.
///
/// Printing or dumping it shows the public keys only, never the secret key.
public struct CurveClientKeys: Sendable, Hashable, CustomStringConvertible, CustomReflectable {
    /// The broker's long-term public key (the node refuses a broker without its secret).
    public let serverPublicKey: CurveKey
    /// This node's public key, derived from `secretKey`: what the broker's directory knows the node by.
    public let publicKey: CurveKey
    /// This node's secret key.
    public let secretKey: CurveKey

    /// Keys from the broker's public key and this node's secret key (its public key is derived from it).
    public init(serverPublicKey: CurveKey, secretKey: CurveKey) throws {
        self.serverPublicKey = serverPublicKey
        self.secretKey = secretKey
        self.publicKey = try Curve.publicKey(forSecret: secretKey)
    }

    public var description: String {
        "CurveClientKeys(server: \(serverPublicKey.z85), node: \(publicKey.z85), secret: redacted)"
    }

    public var customMirror: Mirror {
        Mirror(self, children: ["serverPublicKey": serverPublicKey.z85, "publicKey": publicKey.z85])
    }
}
