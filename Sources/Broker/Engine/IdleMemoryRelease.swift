#if canImport(Glibc)
    import Glibc
#endif

/// When the store thread gives memory back after work: once it has been idle for `idleMillis` since its last batch,
/// at most once per `intervalMillis`, and only if it did work since the last time.
///
/// Why: after a large drain the SQLite page cache is full and glibc keeps the freed pages of the store's reads in its
/// arenas (the poll and store threads allocate in different ones, and glibc returns a thread arena's memory only from
/// its top). Measured with the `backlog` bench at 200,000 messages: RSS 75 MiB as the drain ended, 50 MiB a second
/// later (the store thread's arena, page cache included, went from 23 to 7 MiB; after the fill 63 -> 39 MiB).
/// Releasing costs a few milliseconds, and the next batch re-reads its pages from the OS's cache, so it is done
/// only when the broker is idle, not between busy batches.
struct IdleMemoryRelease {
    let idleMillis: Int64
    let intervalMillis: Int64
    private var lastWorkAt: Int64?
    private var lastReleaseAt: Int64 = .min / 2

    init(idleMillis: Int64 = 1_000, intervalMillis: Int64 = 10_000) {
        self.idleMillis = idleMillis
        self.intervalMillis = intervalMillis
    }

    /// A batch was processed at `now`.
    mutating func worked(now: Int64) { lastWorkAt = now }

    /// When to release, if work is waiting to be released after (nil: nothing to give back, wait without a limit).
    var dueAt: Int64? {
        guard let lastWorkAt else { return nil }
        return max(lastWorkAt + idleMillis, lastReleaseAt + intervalMillis)
    }

    /// Whether to release now; if so, counts it as done.
    mutating func takeDue(now: Int64) -> Bool {
        guard let dueAt, now >= dueAt else { return false }
        lastWorkAt = nil
        lastReleaseAt = now
        return true
    }

    /// Gives the free memory of every malloc arena back to the OS: glibc's `malloc_trim(0)`, looked up at run time
    /// (Swift's Glibc module does not import <malloc.h>); elsewhere nothing.
    static func trimMalloc() {
        #if canImport(Glibc)
            typealias MallocTrim = @convention(c) (Int) -> Int32
            guard let process = dlopen(nil, RTLD_NOW) else { return }
            defer { dlclose(process) }
            guard let symbol = dlsym(process, "malloc_trim") else { return }
            _ = unsafeBitCast(symbol, to: MallocTrim.self)(0)
        #endif
    }
}
