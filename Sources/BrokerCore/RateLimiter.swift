/// Per-node token buckets: one misbehaving system cannot starve the others. Pure; the
/// caller passes the time.
public struct RateLimiter: Sendable {
    public let perSecond: Double
    public let burst: Double
    private var buckets: [String: (tokens: Double, at: Millis)] = [:]

    public init(perSecond: Int, burst: Int) {
        self.perSecond = Double(max(perSecond, 1))
        self.burst = Double(max(burst, 1))
    }

    /// Takes one token for `node`; false when its bucket is empty.
    public mutating func allow(_ node: String, now: Millis) -> Bool {
        var bucket = buckets[node] ?? (burst, now)
        let elapsed = Double(max(now - bucket.at, 0)) / 1_000
        bucket.tokens = min(burst, bucket.tokens + elapsed * perSecond)
        bucket.at = now
        let allowed = bucket.tokens >= 1
        if allowed { bucket.tokens -= 1 }
        buckets[node] = bucket
        return allowed
    }
}
