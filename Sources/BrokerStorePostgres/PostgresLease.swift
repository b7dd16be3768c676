import Foundation
import Logging
import Synchronization

/// The broker lease (POSTGRES-PLAN §5): on a thread of its own and a database session of its own (never the
/// store's, so a renewal never queues behind a batch), it polls for the lease as a standby, renews it while active,
/// and gives it back when asked. The decisions are `LeaseClock`'s; this class only runs the statements of
/// `PostgresLeaseRow`, reconnects to the primary among the hosts when its session breaks, and calls:
///
/// - `onBecameActive(epoch)` when it won the lease: the broker sets the store's `leaseEpoch` and starts;
/// - `onStoppedBeingActive(epoch, reason)` when it lost it, went silent for ttl − renew, or stepped down.
///
/// Both are called on the lease thread, in order (a stop always follows the start of the same epoch); they should
/// return quickly (hand the work to another thread). Being told late is never unsafe: every write transaction is
/// fenced by the epoch (`PostgresFence`), so a former leader cannot commit after another instance took over.
public final class PostgresLease: @unchecked Sendable {
    public typealias StopReason = LeaseClock.StopReason

    /// Results counted since start (for `referral_lease_*` metrics).
    public struct Counters: Sendable, Hashable {
        public var acquiresWon = 0
        public var acquiresNotWon = 0
        public var acquiresFailed = 0
        public var renewalsOk = 0
        public var renewalsLost = 0
        public var renewalsFailed = 0
        /// Sessions opened (the first one included).
        public var connections = 0
    }

    /// This instance's name, written as `holder`.
    public let holder: String
    /// This instance's 1/RBP endpoint, written as `endpoint` (status only).
    public let endpoint: String
    public let timings: LeaseTimings
    let options: PostgresStoreOptions
    let logger: Logger
    let onBecameActive: @Sendable (Int64) -> Void
    let onStoppedBeingActive: @Sendable (Int64, StopReason) -> Void

    /// Requests from other threads; guarded by `condition`, which the lease thread sleeps on.
    struct Mailbox {
        var started = false
        var finished = false
        var stopping = false
        var releaseOnStop = false
        var resign = false
        var statusRequests: [StatusRequest] = []
        var hasWork: Bool { stopping || resign || !statusRequests.isEmpty }
    }
    let condition = NSCondition()
    var mailbox = Mailbox()

    /// What other threads may read at any time.
    struct Shared {
        var role: LeaseClock.Role = .standby
        var counters = Counters()
    }
    let shared = Mutex(Shared())

    /// Used by the lease thread only.
    var clock: LeaseClock
    var session: PostgresSession?
    var lastProblem: String?

    /// Checks the timings; nothing runs until `start()`. `options.applicationName` gets ` lease` appended for this
    /// session, so `pg_stat_activity` tells it from the store's.
    public init(
        options: PostgresStoreOptions, holder: String, endpoint: String, timings: LeaseTimings = LeaseTimings(),
        logger: Logger = Logger(label: "referrald.lease"),
        onBecameActive: @escaping @Sendable (Int64) -> Void,
        onStoppedBeingActive: @escaping @Sendable (Int64, StopReason) -> Void
    ) throws {
        if let problem = timings.problem {
            throw PostgresStoreError(operation: "lease", cause: problem, kind: .misconfigured)
        }
        var options = options
        options.applicationName += " lease"
        self.options = options
        self.holder = holder
        self.endpoint = endpoint
        self.timings = timings
        self.logger = logger
        self.onBecameActive = onBecameActive
        self.onStoppedBeingActive = onStoppedBeingActive
        self.clock = LeaseClock(timings: timings, now: PostgresLease.monotonicMilliseconds())
    }

    /// Starts the lease thread (once): a standby that tries to acquire at once.
    public func start() {
        condition.lock()
        defer { condition.unlock() }
        guard !mailbox.started else { return }
        mailbox.started = true
        let thread = Thread { [self] in run() }
        thread.name = "referrald-lease"
        thread.start()
    }

    /// Stops the thread and waits for it. When active, it stops being active (`onStoppedBeingActive(.resigned)`)
    /// and, with `release`, gives the lease back so a standby takes it at its next poll; without, the lease is left
    /// to expire (as if this instance had died).
    public func stop(release: Bool) {
        condition.lock()
        defer { condition.unlock() }
        guard mailbox.started else { return }
        mailbox.stopping = true
        mailbox.releaseOnStop = release
        condition.broadcast()
        while !mailbox.finished { condition.wait() }
    }

    /// Steps down (when the broker found itself fenced or cannot go on as the active instance): stops being active,
    /// releases the lease, and goes on as a standby (which may take the lease again at a later poll).
    public func resign() {
        condition.lock()
        mailbox.resign = true
        condition.broadcast()
        condition.unlock()
    }

    /// This instance's role as the lease thread last decided it.
    public var role: LeaseClock.Role { shared.withLock { $0.role } }

    public var counters: Counters { shared.withLock { $0.counters } }

    /// The role, the lease row and the database's replication state, read on the lease's session by its thread.
    /// Blocks the caller up to `timeoutMilliseconds`: call it from a plain thread or a DispatchQueue, never from the
    /// cooperative pool. When the thread does not answer in time (or does not run), the row fields are nil.
    public func status(timeoutMilliseconds: Int64 = 5000) -> PostgresLeaseStatus {
        let request = StatusRequest()
        condition.lock()
        let running = mailbox.started && !mailbox.finished
        if running {
            mailbox.statusRequests.append(request)
            condition.broadcast()
        }
        condition.unlock()
        if running, let answer = request.wait(milliseconds: timeoutMilliseconds) { return answer }
        return localStatus(problem: running ? "the lease thread did not answer in time" : "the lease is not running")
    }

    func localStatus(problem: String?) -> PostgresLeaseStatus {
        let role = self.role
        var status = PostgresLeaseStatus(role: .standby, instance: holder, problem: problem)
        if case .active(let epoch) = role {
            status.role = .active
            status.heldEpoch = epoch
        }
        return status
    }

    /// A caller waiting for the lease thread to read the status.
    final class StatusRequest: @unchecked Sendable {
        private let condition = NSCondition()
        private var answer: PostgresLeaseStatus?

        func answer(_ status: PostgresLeaseStatus) {
            condition.lock()
            answer = status
            condition.broadcast()
            condition.unlock()
        }

        func wait(milliseconds: Int64) -> PostgresLeaseStatus? {
            let deadline = Date(timeIntervalSinceNow: Double(milliseconds) / 1000)
            condition.lock()
            defer { condition.unlock() }
            while answer == nil, condition.wait(until: deadline) {}
            return answer
        }
    }

    /// Monotonic milliseconds (CLOCK_MONOTONIC): never steps with the wall clock.
    static func monotonicMilliseconds() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return Int64(spec.tv_sec) * 1000 + Int64(spec.tv_nsec) / 1_000_000
    }
}
