import Foundation
import Logging
import ReferralProtocol
import SQLiteRaw
import Synchronization
import ZeroMQ

/// A node's connection to the referral broker, with its local durable store.
///
/// ```swift
/// let node = try ReferralNode(configuration: try NodeConfiguration.load(path: "test-a.json"))
/// node.start()
/// let id = try await node.send(
///     OutgoingMessage(to: ["test-b"], kind: "referral.request", priority: .urgent, body: bytes))
/// let outcome = try await node.outcome(of: id, timeout: .seconds(30))
/// try await node.handleMessages { message in try await process(message) }   // until cancelled
/// await node.shutdown()
/// ```
///
/// **Sending.** `send(_:)` commits the message to the local outbox and returns; the library then sends it until
/// the broker answers ACCEPTED (on the broker's disk) or REJECTED, always with the same message id, across
/// reconnects and restarts of this process. A REJECTED with `retry: false` is final: the entry stays in the
/// outbox with its code and reason (`outboxEntry(id:)`, `outbox(state: .rejected)`, each once through
/// `nextRejection(timeout:)`) and is never sent again. Retryable refusals
/// (STORE_FAILED, OVERLOADED, SHUTTING_DOWN) are resent automatically with backoff. Messages of one case are
/// handed to the broker one at a time, in commit order.
///
/// **Storage.** An accepted message's body stays in the local outbox until the broker's receipts say every
/// recipient has it (delivered or dead-lettered): a message for a recipient that is offline for a week keeps its
/// body here that long. That is what lets the library send it again, same id and content, when the broker's
/// operator had to accept the loss of messages it acknowledged (a new store epoch in WELCOME, 1/RBP §7.2);
/// the recipients' inboxes drop a copy they already have. Ids, digests and answers stay for good.
///
/// **Receiving.** A delivered message is committed to the local inbox before the broker is told (ACK), and the
/// inbox is keyed by (`from`, `id`):
/// * each message enters the inbox exactly once (redeliveries are acknowledged, never stored again);
/// * the application is offered it again only if it crashed (or stopped) before completing it: a message taken
///   with `nextMessage` and not passed to `complete(_:)` is offered again after a restart, not before;
/// * (`from`, `id`) is the message's idempotency key: an application whose handling has effects outside this
///   store should make them idempotent on that key, since a crash between the effect and `complete` repeats it.
///
/// **Receipts.** The broker's receipts (delivered / dead-lettered, one per recipient) are stored, then confirmed;
/// read them with `receipts(for:)`, `waitForReceipts(of:count:timeout:)` or `nextReceipt(timeout:)`.
///
/// **Threads.** One dedicated thread owns the ZeroMQ socket and runs a poll loop; the async methods wait on
/// continuations that thread resumes. The commits of `send` and `complete` (an fsync each) and the inbox reads
/// run on the store's own serial queue and are awaited, so no thread of Swift's cooperative pool waits on the
/// disk. The synchronous methods (`outboxEntry`, `outbox`, `receipts(for:)`) are short reads on the caller's
/// thread, for tools and tests.
/// One process at a time may use a node id and its store. Call `shutdown()` before the process ends.
public final class ReferralNode: Sendable {
    /// The configuration this node runs with (its `store` path resolved).
    public let configuration: NodeConfiguration
    let store: NodeStore
    let shared: NodeShared
    let logger: Logger
    private let context: ZMQContext
    private let lock: ExclusiveFileLock
    private let state = Mutex(LifeState())
    /// Inbox messages handed to the application by this process and not completed yet.
    let offered = Mutex(InboxOffers())

    private struct LifeState {
        var started = false
        var shutDown = false
    }

    /// Opens (creating if needed) the local store and locks it for this process (`storeInUse` if another
    /// `ReferralNode` has it open). Nothing is sent before `start()`.
    ///
    /// With CURVE fields but no `curve` keys (a configuration built in code), the secret key file is read here;
    /// a bad one throws `ConfigurationError`.
    public init(configuration: NodeConfiguration, logger: Logger = Logger(label: "referral-client")) throws {
        try configuration.validate()
        var configuration = configuration
        configuration.curve = try configuration.loadCurveKeys()
        self.configuration = configuration
        var logger = logger
        logger[metadataKey: "node"] = "\(configuration.node)"
        self.logger = logger
        // The lock first: a second process for this node is refused before it opens (or waits on) the store.
        self.lock = try ExclusiveFileLock.nodeStore(at: configuration.store)
        self.store = try NodeStore(path: configuration.store)
        do {
            self.shared = try NodeShared()
            self.context = try ZMQContext()
        } catch {
            store.close()
            throw error
        }
    }

    /// Starts the connection thread: it connects, says HELLO, sends the outbox and receives. Idempotent.
    public func start() {
        let proceed: Bool = state.withLock { state in
            guard !state.started, !state.shutDown else { return false }
            state.started = true
            return true
        }
        guard proceed else { return }
        let (configuration, store, shared, logger, context) = (self.configuration, store, shared, logger, context)
        let thread = Thread {
            ConnectionLoop(
                configuration: configuration, store: store, shared: shared, logger: logger, context: context
            ).run()
        }
        thread.name = "referral-node \(configuration.node)"
        thread.start()
    }

    /// Says BYE, stops the connection thread, closes the socket and the store. Waits still in progress end
    /// with `ReferralClientError.shutDown`. Idempotent; the node cannot be started again.
    public func shutdown() async {
        let wasStarted: Bool? = state.withLock { state in
            guard !state.shutDown else { return nil }
            state.shutDown = true
            return state.started
        }
        guard let wasStarted else {
            await shared.finished.wait()
            return
        }
        if wasStarted {
            shared.post(.stop)
            await shared.finished.wait()
        } else {
            context.terminate()
        }
        shared.waiters.close(with: ReferralClientError.shutDown)
        store.close()
        lock.release()
        if !wasStarted { shared.finished.signal() }
    }

    /// Whether a session with the broker is open right now.
    public var isConnected: Bool { shared.connected.load(ordering: .acquiring) }

    /// Why the broker cannot be used right now, when known: the last refusal (e.g. `UNKNOWN_NODE`), BYE, or a
    /// connection failure. nil once a session is open. For diagnostics only.
    public var connectionProblem: String? { shared.problem.withLock { $0 } }

    func checkOpen() throws {
        if state.withLock({ $0.shutDown }) { throw ReferralClientError.shutDown }
    }

    // MARK: - Sending

    /// Commits the message to the outbox and returns its id; the connection thread sends it.
    ///
    /// Checks the header against the 1/RBP grammars first (`invalidMessage` names the member). Sending an id
    /// that is already in the outbox with the same content does nothing and returns the id (safe to repeat
    /// after a crash); with different content it throws `conflictingId`.
    /// The commit (one fsync) runs on the store's own queue, off Swift's cooperative pool; the caller awaits it.
    @discardableResult
    public func send(_ message: OutgoingMessage) async throws -> String {
        try await send(batch: [message])[0]
    }

    /// The most entries of one `send(batch:)` handed to the connection thread with their bodies; a larger batch
    /// is read back from the store page by page.
    static let maxHandedOver = 1024

    /// Commits several messages in one local transaction (all or none, one fsync) and returns their ids, in order.
    @discardableResult
    public func send(batch messages: [OutgoingMessage]) async throws -> [String] {
        try checkOpen()
        guard !messages.isEmpty else { return [] }
        let shared = shared
        return try await store.enqueue(messages, now: wallClockMillis()) { rows in
            shared.post(rows.count <= Self.maxHandedOver ? .queued(rows) : .outboxChanged)
        }
    }

    /// Waits for the broker's final answer to the message with this id: ACCEPTED, or REJECTED with
    /// `retry: false`. Returns at once if it is already answered. Throws `unknownMessage` if the outbox has no
    /// such id, `timedOut` when `timeout` passes first (the message stays queued and keeps being sent).
    public func outcome(of id: String, timeout: Duration? = nil) async throws -> SendOutcome {
        try checkOpen()
        let outcome = try await shared.waiters.wait(for: .outcome(id), timeout: timeout) { () throws -> SendOutcome? in
            guard let entry = try store.outboxEntry(id: id) else { throw ReferralClientError.unknownMessage(id) }
            return entry.outcome
        }
        guard let outcome else { throw ReferralClientError.timedOut }
        return outcome
    }

    /// The outbox entry with this id (state, seq, rejection code and reason), without its body; nil if none.
    public func outboxEntry(id: String) throws -> OutboxEntry? {
        try checkOpen()
        return try store.outboxEntry(id: id)
    }

    /// The outbox in commit order: every entry, or only those in `state` (e.g. `.rejected`: the messages the
    /// broker refused for good, which the application must act on); at most `limit`, the newest.
    public func outbox(state: OutboxState? = nil, limit: Int = 1000) throws -> [OutboxEntry] {
        try checkOpen()
        return try store.outboxEntries(state: state, limit: max(0, limit))
    }

    /// Takes the oldest final rejection (REJECTED with `retry: false`) not taken before (by any process using
    /// this store), waiting up to `timeout` for one; nil when none came. A message queued without waiting for its
    /// outcome (a sender that stopped, a `send --no-wait`) is refused later: this is where the application hears
    /// of it. Each rejection is taken once; `outbox(state: .rejected)` still lists it.
    public func nextRejection(timeout: Duration? = nil) async throws -> OutboxEntry? {
        try checkOpen()
        return try await shared.waiters.wait(for: .rejectionLog, timeout: timeout) {
            try store.takeNextRejection(now: wallClockMillis())
        }
    }

    // MARK: - Receipts

    /// The receipts stored so far for one of this node's messages, by receipt number. A recipient can have more than
    /// one: after an operator re-drives a dead letter (1/RBP §12.5) its new outcome comes as a new receipt, after the
    /// `dead-lettered` one; the last of a recipient's receipts is its latest outcome.
    public func receipts(for id: String) throws -> [DeliveryReceipt] {
        try checkOpen()
        return try store.receipts(forMessage: id)
    }

    /// Waits until at least `count` receipts are stored for the message (usually one per recipient) and returns
    /// them. Throws `timedOut` when `timeout` passes first.
    public func waitForReceipts(of id: String, count: Int, timeout: Duration? = nil) async throws -> [DeliveryReceipt] {
        try checkOpen()
        let receipts = try await shared.waiters.wait(for: .receipts(id), timeout: timeout) {
            () throws -> [DeliveryReceipt]? in
            let receipts = try store.receipts(forMessage: id)
            return receipts.count >= count ? receipts : nil
        }
        guard let receipts else { throw ReferralClientError.timedOut }
        return receipts
    }

    /// Takes the oldest receipt not taken before (by any process using this store), waiting up to `timeout`
    /// for one to arrive; nil when none came. Each receipt is taken once; `receipts(for:)` still lists it.
    public func nextReceipt(timeout: Duration? = nil) async throws -> DeliveryReceipt? {
        try checkOpen()
        return try await shared.waiters.wait(for: .receiptLog, timeout: timeout) {
            try store.takeNextReceipt(now: wallClockMillis())
        }
    }
}
