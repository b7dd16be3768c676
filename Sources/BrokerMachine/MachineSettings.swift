import ReferralProtocol

/// What the machine needs of the daemon's configuration: limits granted in WELCOME, the admission limits and
/// the store's epoch. Filled by the shell from `BrokerConfiguration`; tests fill it by hand.
public struct MachineSettings: Sendable {
    public var limits: ReferralProtocol.Limits
    public var heartbeatMs: Int
    public var liveness: Int
    public var ackTimeoutMs: Int
    /// Most SENDs waiting for the store before new ones are refused with OVERLOADED.
    public var maxPendingAccepts: Int
    /// SENDs per second a node may sustain, and the burst above it.
    public var ratePerSecond: Int
    public var rateBurst: Int
    /// Bytes of recently accepted messages kept for DELIVER without a store read.
    public var messageCacheBytes: Int
    /// Length of one day of a follow-up plan (tests scale it).
    public var followUpDayMs: Int64
    /// The store's epoch (lowercase hex), announced in every WELCOME (1/RBP §7.2).
    public var storeEpoch: String?
    /// How long a stopping broker waits for the store to drain.
    public var stopGraceMs: Int64
    /// Retention of message bodies: the periods and the purge timer (default: nothing is purged).
    public var retention: RetentionSettings
    /// Verify the audit chain every this many ms (0: never by itself; an operator's AUDIT-VERIFY still does), so
    /// that `referral_audit_chain_intact` stays current.
    public var auditVerifyIntervalMs: Int64
    /// The audit fingerprint of a Z85 CURVE key (the shell knows the key format; nil for a key it cannot read).
    public var keyFingerprint: @Sendable (String) -> String?

    public init(
        limits: ReferralProtocol.Limits = .default, heartbeatMs: Int = 5_000, liveness: Int = 3,
        ackTimeoutMs: Int = 30_000, maxPendingAccepts: Int = 100_000, ratePerSecond: Int = 200, rateBurst: Int = 400,
        messageCacheBytes: Int = 64 << 20, followUpDayMs: Int64 = 86_400_000, storeEpoch: String? = nil,
        stopGraceMs: Int64 = 10_000, retention: RetentionSettings = .keepForever, auditVerifyIntervalMs: Int64 = 0,
        keyFingerprint: @escaping @Sendable (String) -> String? = { _ in nil }
    ) {
        self.auditVerifyIntervalMs = auditVerifyIntervalMs
        self.limits = limits
        self.heartbeatMs = heartbeatMs
        self.liveness = liveness
        self.ackTimeoutMs = ackTimeoutMs
        self.maxPendingAccepts = maxPendingAccepts
        self.ratePerSecond = ratePerSecond
        self.rateBurst = rateBurst
        self.messageCacheBytes = messageCacheBytes
        self.followUpDayMs = followUpDayMs
        self.storeEpoch = storeEpoch
        self.stopGraceMs = stopGraceMs
        self.retention = retention
        self.keyFingerprint = keyFingerprint
    }
}
