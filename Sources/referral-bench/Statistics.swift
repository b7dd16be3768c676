/// Percentiles of a set of latency samples (milliseconds), nearest-rank method.
struct LatencySummary: Codable, Sendable {
    var count: Int
    var p50: Double
    /// Used by the gateway scenarios' tables (the others print p50, p99 and max).
    var p90: Double
    var p99: Double
    var max: Double

    init?(_ samples: [Double]) {
        guard !samples.isEmpty else { return nil }
        let sorted = samples.sorted()
        func rank(_ p: Double) -> Double {
            let index = Int((p * Double(sorted.count)).rounded(.up)) - 1
            return sorted[Swift.max(0, Swift.min(sorted.count - 1, index))]
        }
        count = sorted.count
        p50 = rank(0.50)
        p90 = rank(0.90)
        p99 = rank(0.99)
        max = sorted[sorted.count - 1]
    }
}
