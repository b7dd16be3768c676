import Foundation

/// Runs blocking work (SQLite commits with fsync, blocking socket calls) on a thread of its own, so that it never
/// occupies one of the few threads of Swift's cooperative pool (2 on a 2-core machine), where the async waits of
/// the bench (outcomes, receipts) resume.
func onThread<T: Sendable>(
    _ name: String, _ body: @escaping @Sendable () throws -> T
) async throws -> T {
    try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
        let thread = Thread {
            continuation.resume(with: Result { try body() })
        }
        thread.name = name
        thread.start()
    }
}
