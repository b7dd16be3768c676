import ReferralProtocol
import Synchronization

/// Why a query to the broker (1/RBP §7.14) got no answer.
public enum ReferralQueryError: Error, Sendable, Hashable, CustomStringConvertible {
    /// No session with the broker now, or the session ended before the answer came.
    case notConnected
    /// No case with this id that this node may see (the broker says the same whether it exists or not).
    case notFound
    /// The broker does not know QUERY (a broker before 1/RBP 1.6).
    case unsupported
    /// Another refusal (RATE_LIMITED, STORE_FAILED, SHUTTING_DOWN, BAD_FIELD, ...), with the broker's reason.
    case refused(code: String, reason: String)

    public var description: String {
        switch self {
        case .notConnected: "no session with the broker"
        case .notFound: "no such case visible to this node"
        case .unsupported: "the broker does not answer queries (1/RBP before 1.6)"
        case .refused(let code, let reason): "the broker refused the query: \(code): \(reason)"
        }
    }
}

/// Queries sent and not yet answered, by `ref`. The API registers one and waits; the connection thread completes
/// it with the ANSWER or ERROR that carries its `ref`, or fails every one when the session ends (an answer never
/// survives its connection). Each entry is resumed exactly once.
final class PendingQueries: Sendable {
    private struct State {
        var serial: UInt64 = 0
        /// Refs given out and not completed yet.
        var open: Set<String> = []
        var waiting: [String: CheckedContinuation<Answer, any Error>] = [:]
        /// Completed before their caller registered (a timeout or a failure that came first).
        var early: [String: Result<Answer, any Error>] = [:]
    }

    private let state = Mutex(State())

    /// A ref no query of this process has used.
    func nextRef() -> String {
        state.withLock { state in
            state.serial += 1
            let ref = "q-\(state.serial)"
            state.open.insert(ref)
            return ref
        }
    }

    func register(_ ref: String, _ continuation: CheckedContinuation<Answer, any Error>) {
        let early: Result<Answer, any Error>? = state.withLock { state in
            if let result = state.early.removeValue(forKey: ref) { return result }
            state.waiting[ref] = continuation
            return nil
        }
        if let early { continuation.resume(with: early) }
    }

    /// Resumes the query's caller once; a ref already completed (an answer after its timeout) is ignored.
    func complete(_ ref: String, with result: Result<Answer, any Error>) {
        let continuation: CheckedContinuation<Answer, any Error>? = state.withLock { state in
            guard state.open.remove(ref) != nil else { return nil }
            guard let continuation = state.waiting.removeValue(forKey: ref) else {
                state.early[ref] = result
                return nil
            }
            return continuation
        }
        continuation?.resume(with: result)
    }

    func failAll(_ error: any Error) {
        let refs = state.withLock { Array($0.open) }
        for ref in refs { complete(ref, with: .failure(error)) }
    }

    var isEmpty: Bool { state.withLock { $0.open.isEmpty } }
}
