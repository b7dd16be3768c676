import ReferralProtocol

/// A request rate: `{"requests_per_second": R, "burst": B}` (the gateway's `rate_limit`, or an application's own).
/// A bucket of B requests refilled at R a second: B at once after a pause, R a second sustained.
public struct RateLimit: Sendable, Hashable {
    public var requestsPerSecond: Double
    public var burst: Int

    public init(requestsPerSecond: Double, burst: Int) {
        self.requestsPerSecond = requestsPerSecond
        self.burst = burst
    }

    /// Generous: an agency system, the tests and the walk-through never meet it; a runaway loop does.
    public static let `default` = RateLimit(requestsPerSecond: 200, burst: 400)

    static let maxValue = 1_000_000.0

    /// Reads a `rate_limit` block; errors name `rate_limit.requests_per_second` or `rate_limit.burst`.
    static func parse(_ block: inout JSONObjectReader) throws(ConfigurationError) -> RateLimit {
        var limit = RateLimit.default
        let rateKey = "requests_per_second"
        switch block.value(rateKey) {
        case nil: break
        case .integer(let value): limit.requestsPerSecond = Double(value)
        case .number(let value): limit.requestsPerSecond = value
        case let other?: throw block.error(rateKey, "must be a number, not \(other.typeName)")
        }
        guard limit.requestsPerSecond > 0, limit.requestsPerSecond <= maxValue else {
            throw block.error(rateKey, "must be more than 0 and at most 1000000, got \(limit.requestsPerSecond)")
        }
        limit.burst = try block.optionalInteger("burst") ?? limit.burst
        guard (1...Int(maxValue)).contains(limit.burst) else {
            throw block.error("burst", "must be between 1 and 1000000, got \(limit.burst)")
        }
        try block.refuseUnknownKeys()
        return limit
    }
}

/// Token buckets by key (an application's name, or one key for the whole gateway). Pure: the caller passes the
/// time, in milliseconds of a monotonic clock.
public struct TokenBuckets: Sendable {
    public enum Decision: Sendable, Hashable {
        case allowed
        /// Over the limit: the next request may come in this many seconds (rounded up, at least 1).
        case limited(retryAfterSeconds: Int)
    }

    private var buckets: [String: (tokens: Double, atMs: Int64)] = [:]

    public init() {}

    /// Takes one request from `key`'s bucket under `limit` (which may differ from the last call: a reload).
    public mutating func take(_ key: String, limit: RateLimit, nowMs: Int64) -> Decision {
        let burst = Double(limit.burst)
        var bucket = buckets[key] ?? (burst, nowMs)
        let elapsed = Double(max(nowMs - bucket.atMs, 0)) / 1_000
        bucket.tokens = min(burst, bucket.tokens + elapsed * limit.requestsPerSecond)
        bucket.atMs = nowMs
        defer { buckets[key] = bucket }
        if bucket.tokens >= 1 {
            bucket.tokens -= 1
            return .allowed
        }
        let seconds = ((1 - bucket.tokens) / limit.requestsPerSecond).rounded(.up)
        return .limited(retryAfterSeconds: max(1, Int(min(seconds, 86_400))))
    }

    /// Forgets the buckets of keys no longer in use (applications removed by a reload).
    public mutating func keep(only keys: Set<String>) {
        buckets = buckets.filter { keys.contains($0.key) }
    }

    public var keys: Set<String> { Set(buckets.keys) }
}
