#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The two clocks of the bench. Durations are measured on the monotonic clock; the wall clock (ms since the
/// epoch, as a Double) is only used to compare with times the nodes and the broker stored (`answeredAt`,
/// receipt `at`), which are wall-clock milliseconds of this same machine.
enum Clocks {
    /// Nanoseconds of CLOCK_MONOTONIC.
    static func monotonicNanos() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
    }

    /// Milliseconds since the Unix epoch with sub-millisecond precision.
    static func wallMillis() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        return Double(time.tv_sec) * 1000 + Double(time.tv_nsec) / 1_000_000
    }

    /// Suspends the calling task until the monotonic clock reaches `deadline` (ns).
    static func sleep(untilMonotonic deadline: UInt64) async throws {
        let now = monotonicNanos()
        guard deadline > now else { return }
        try await Task.sleep(nanoseconds: deadline - now)
    }
}
