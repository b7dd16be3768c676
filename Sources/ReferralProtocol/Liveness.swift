/// When a silent peer counts as dead (1/RBP §11.1).
///
/// A message in transit proves its sender alive, but nobody sees it before its last octet arrives, and the PINGs
/// and PONGs sent after it wait behind it. So besides `liveness` heartbeats, a peer may stay silent for as long as
/// the largest message takes on the slowest link RBP supports.
public enum Liveness {
    /// The slowest link every message up to the limits must cross, in octets per second.
    public static let minimumLinkOctetsPerSecond = 20_000
    /// Framing and encryption around a message's header and body (the margin of `ZMQ_MAXMSGSIZE`, 1/RBP §13.7).
    public static let framingOctets = 4_096

    /// How long `octets` take at the minimum link rate, in ms (rounded up).
    public static func transferMs(octets: Int) -> Int64 {
        let rate = Int64(minimumLinkOctetsPerSecond)
        return (Int64(max(octets, 0)) * 1000 + rate - 1) / rate
    }

    /// The transfer allowance: how long the largest message takes at the minimum link rate.
    public static func transferAllowanceMs(maxHeader: Int, maxBody: Int) -> Int64 {
        transferMs(octets: maxHeader + maxBody + framingOctets)
    }

    /// The silence after which a peer is dead: `liveness` heartbeats plus the transfer allowance.
    public static func silenceAllowanceMs(heartbeatMs: Int64, liveness: Int64, maxHeader: Int, maxBody: Int) -> Int64 {
        heartbeatMs * liveness + transferAllowanceMs(maxHeader: maxHeader, maxBody: maxBody)
    }
}
