import Foundation

/// The shell's time source; the core only ever sees the numbers it returns.
protocol BrokerClock: Sendable {
    /// Milliseconds since the Unix epoch.
    func nowMillis() -> Int64
}

struct SystemClock: BrokerClock {
    func nowMillis() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec) * 1_000 + Int64(spec.tv_nsec) / 1_000_000
    }
}
