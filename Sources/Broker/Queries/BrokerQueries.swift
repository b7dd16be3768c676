import BrokerMachine
import ReferralProtocol
import Synchronization
import ZeroMQ

/// The in-process door to the broker's admin endpoint, for code that runs beside the poll thread (the HTTP
/// listener's /metrics, a later dashboard): `ask(_:)` any ADMIN-1 request and get the same `AdminResponse` the
/// admin socket would give, decided by the machine on the poll thread. The caller never touches the machine or
/// the store: the request waits in this mailbox, the eventfd the poll loop already polls wakes it, the loop feeds
/// it to the machine as an admin arrival whose peer is a ticket (`AdminPeer.inProcess`), and the reply resumes
/// the caller. Nothing blocks a thread while it waits (a continuation), so `ask` is safe on any executor.
///
/// For the dashboard: `let status = try await queries.ask(.status)`, `.overdue(...)`, `.caseInfo(caseId:)`,
/// `.trail(...)`, `.stats`, and any command added to `AdminRequest` later, with no change here.
public final class BrokerQueries: Sendable {
    /// Why a request was not answered: the broker is not running (before its store is open, or after it stopped).
    public struct Unavailable: Error, Sendable, CustomStringConvertible {
        public var description: String { "the broker is not running (starting or stopped)" }
    }

    private struct State {
        var open = false
        var nextTicket: UInt64 = 1
        var queued: [(ticket: UInt64, request: AdminRequest)] = []
        var waiting: [UInt64: CheckedContinuation<AdminResponse, any Error>] = [:]
    }

    private let state = Mutex(State())
    private let notifier: EventNotifier

    public init(notifier: EventNotifier) { self.notifier = notifier }

    /// Asks the machine; throws `Unavailable` when the broker is not running or stops before it answers.
    public func ask(_ request: AdminRequest) async throws -> AdminResponse {
        try await withCheckedThrowingContinuation { continuation in
            let queued = state.withLock { state -> Bool in
                guard state.open else { return false }
                let ticket = state.nextTicket
                state.nextTicket += 1
                state.queued.append((ticket, request))
                state.waiting[ticket] = continuation
                return true
            }
            if queued { notifier.notify() } else { continuation.resume(throwing: Unavailable()) }
        }
    }

    // MARK: - the poll thread's side

    /// The poll loop serves requests from now on.
    func open() { state.withLock { $0.open = true } }

    /// What was asked since the last call.
    func take() -> [(ticket: UInt64, request: AdminRequest)] {
        state.withLock { state in
            defer { state.queued.removeAll(keepingCapacity: true) }
            return state.queued
        }
    }

    /// The machine's reply to `ticket`.
    func answer(_ ticket: UInt64, _ response: AdminResponse) {
        let continuation = state.withLock { $0.waiting.removeValue(forKey: ticket) }
        continuation?.resume(returning: response)
    }

    /// The poll loop stops: every request waiting or asked later fails with `Unavailable`.
    func close() {
        let waiting = state.withLock { state in
            state.open = false
            state.queued.removeAll()
            defer { state.waiting.removeAll() }
            return Array(state.waiting.values)
        }
        for continuation in waiting { continuation.resume(throwing: Unavailable()) }
    }
}
