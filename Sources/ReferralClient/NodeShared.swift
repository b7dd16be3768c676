import ReferralProtocol
import Synchronization
import ZeroMQ

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// What the API asks of the connection thread.
enum LoopCommand: Sendable {
    /// New entries were committed to the outbox.
    case outboxChanged
    /// These entries were just committed to the outbox (in commit order, posted in commit order): the connection
    /// thread may send them without reading them back.
    case queued([OutboxRow])
    /// Send this QUERY on the session (answered through `NodeShared.queries`).
    case query(Query)
    /// Say BYE, close the socket and end the thread.
    case stop
}

/// The state the API and the connection thread share: a locked command queue with an eventfd that wakes the
/// thread's poll, the waits the thread resumes, and a few flags the API reads.
final class NodeShared: Sendable {
    let notifier: EventNotifier
    let waiters = WaiterRegistry()
    /// QUERYs waiting for their ANSWER.
    let queries = PendingQueries()
    /// Set by the connection thread while a session is open.
    let connected = Atomic<Bool>(false)
    /// The last reason the broker refused or ended the session, or why it is unreachable; nil once welcomed.
    let problem = Mutex<String?>(nil)
    /// Signalled when the connection thread has closed its socket and is about to end.
    let finished = Completion()
    private let commands = Mutex<[LoopCommand]>([])

    init() throws {
        notifier = try EventNotifier()
    }

    func post(_ command: LoopCommand) {
        commands.withLock { $0.append(command) }
        notifier.notify()
    }

    func takeCommands() -> [LoopCommand] {
        commands.withLock { commands in
            defer { commands.removeAll() }
            return commands
        }
    }
}

/// A one-shot event that async callers can wait for.
final class Completion: Sendable {
    private struct State {
        var done = false
        var waiting: [CheckedContinuation<Void, Never>] = []
    }

    private let state = Mutex(State())

    var isDone: Bool { state.withLock { $0.done } }

    func signal() {
        let waiting: [CheckedContinuation<Void, Never>] = state.withLock { state in
            state.done = true
            defer { state.waiting.removeAll() }
            return state.waiting
        }
        for continuation in waiting { continuation.resume() }
    }

    func wait() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let done: Bool = state.withLock { state in
                if state.done { return true }
                state.waiting.append(continuation)
                return false
            }
            if done { continuation.resume() }
        }
    }
}

/// Milliseconds of a monotonic clock (for heartbeats and timeouts; not comparable across processes).
func monotonicMillis() -> Int64 {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return Int64(time.tv_sec) * 1000 + Int64(time.tv_nsec) / 1_000_000
}
