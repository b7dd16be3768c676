import Foundation
import ReferralClient
import ReferralProtocol
import Synchronization
import ZeroMQ

/// A scripted, in-process stand-in for referrald: one ZeroMQ ROUTER on loopback, on a thread of its own, answering
/// each command a `ReferralNode` sends with what its `Behavior` returns. It speaks 1/RBP on a real socket, so the
/// node under test runs exactly as in production (its store, its connection thread, its reconnects); it keeps no
/// store and makes no routing, policy or delivery decisions of its own.
///
/// ```swift
/// let broker = try FakeBroker()                       // welcomes, accepts every SEND, answers PING
/// defer { broker.stop() }
/// let node = try ReferralNode(configuration: broker.nodeConfiguration(node: "test-b", store: path))
/// node.start()
/// broker.deliver(id: "test-a:000001", from: "test-a", to: ["test-b"], kind: "test.note", body: bytes)
/// let message = try await node.nextMessage(timeout: .seconds(5))
/// ```
///
/// `behavior: FakeBroker.standby` plays a standby instance of a broker run as several (1/RBP §7.1, 1.7): every
/// HELLO gets ERROR NOT_ACTIVE. An active fake broker that steps down sends `FakeBroker.notActive` (`push`) and
/// from then on answers as `standby` (a behaviour that reads a flag the test sets).
///
/// With `curve`, the ROUTER is a CURVE server (ZAP domain "referral", enforced: fail closed) and the same thread
/// answers ZAP requests (RFC 27) on inproc://zeromq.zap.01 of its own context: 200 with the node id for a key in
/// `users`, 400 otherwise.
public final class FakeBroker: Sendable {
    /// The replies to one command from the node, in order (none: no answer).
    public typealias Behavior = @Sendable (Command) -> [Command]

    /// The broker's secret key and the node ids of the client keys it admits.
    public struct CurveServer: Sendable {
        public var secretKey: CurveKey
        public var users: [CurveKey: String]

        public init(secretKey: CurveKey, users: [CurveKey: String]) {
            self.secretKey = secretKey
            self.users = users
        }
    }

    /// The endpoint the ROUTER is bound to (the port chosen when `init` was given `*`).
    public let endpoint: String
    private let notifier: EventNotifier
    private let state = State()

    /// Shared between the caller and the broker thread.
    final class State: Sendable {
        let outbox = Mutex<[Command]>([])
        let log = Mutex<[Command]>([])
        let stopped = Mutex(false)
        let bound = Mutex<Result<String, any Error>?>(nil)
        /// The ZAP User-Id of each command received (nil without CURVE).
        let userIds = Mutex<[String?]>([])
        /// The public keys the ZAP handler was asked about (Z85), admitted or not.
        let zapKeys = Mutex<[String]>([])
        let deliverSeq = Mutex<Int64>(0)
        let ready = DispatchSemaphore(value: 0)
        let finished = DispatchSemaphore(value: 0)
    }

    /// Binds `endpoint` (a free loopback port by default) and starts answering; returns once it is bound.
    /// `pingEveryMs`: PING the node after this much of the broker's own silence, as the real broker does (nil:
    /// never). `behavior`: how each command is answered (`standard` by default).
    public init(
        endpoint: String = "tcp://127.0.0.1:*", pingEveryMs: Int? = 100, curve: CurveServer? = nil,
        behavior: @escaping Behavior = FakeBroker.standard
    ) throws {
        let notifier = try EventNotifier()
        self.notifier = notifier
        let state = state
        let thread = Thread {
            FakeBrokerLoop(
                endpoint: endpoint, pingEveryMs: pingEveryMs, curve: curve, behavior: behavior, notifier: notifier,
                state: state
            ).run()
        }
        thread.name = "fake-broker"
        thread.start()
        state.ready.wait()
        self.endpoint = try state.bound.withLock { $0! }.get()
    }

    /// Sends `command` to the node that spoke last (dropped while no node has spoken).
    public func push(_ command: Command) {
        state.outbox.withLock { $0.append(command) }
        notifier.notify()
    }

    /// Delivers a message to the node that spoke last, as the broker's DELIVER (1/RBP §8), with the next seq of
    /// this fake broker (returned); the node stores it in its inbox and answers ACK (see `acknowledged`).
    @discardableResult
    public func deliver(
        id: String, from: String, to: [String], kind: String, caseId: String? = nil, priority: Priority = .routine,
        body: [UInt8]
    ) -> Int64 {
        let seq = state.deliverSeq.withLock { seq in
            seq += 1
            return seq
        }
        push(
            .deliver(
                Deliver(
                    seq: seq, id: id, from: from, to: to, kind: kind, caseId: caseId, priority: priority,
                    acceptedAt: Int64(Date().timeIntervalSince1970 * 1000), attempt: 1, body: body)))
        return seq
    }

    /// Every command received so far, in order.
    public var received: [Command] { state.log.withLock { $0 } }

    /// The SENDs received so far, in order (resends included).
    public var sends: [Send] { received.compactMap { if case .send(let send) = $0 { send } else { nil } } }

    /// The ids of the SENDs received so far, in order (resends included).
    public var sendIds: [String] { sends.map(\.id) }

    /// The seqs the node acknowledged (ACK: committed to its inbox), in order.
    public var acknowledged: [Int64] {
        received.compactMap { if case .ack(let ack) = $0 { ack.seq } else { nil } }
    }

    /// How many HELLOs the node sent (one per session).
    public var helloCount: Int { received.filter { if case .hello = $0 { true } else { false } }.count }

    /// The ZAP User-Id each command of `received` came with (nil without CURVE).
    public var userIds: [String?] { state.userIds.withLock { $0 } }

    /// The client public keys (Z85) the ZAP handler was asked about, in order.
    public var zapKeys: [String] { state.zapKeys.withLock { $0 } }

    /// Waits until `condition` holds for this broker (checked every 10 ms) or `timeout` passes; returns whether
    /// it held. What the node sends arrives on the broker's thread in its own time: look at `received`, `sends`
    /// or `acknowledged` through this.
    public func waitUntil(
        timeout: Duration = .seconds(5), _ condition: (FakeBroker) -> Bool
    ) async throws -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if condition(self) { return true }
            try await Task.sleep(for: .milliseconds(10))
        }
        return condition(self)
    }

    /// A configuration of `node` for this broker, its store at `store`, with fast reconnects (50-200 ms) and a
    /// 1 s WELCOME timeout, so that a test does not wait on the production defaults.
    public func nodeConfiguration(node: String, store: String) -> NodeConfiguration {
        Self.nodeConfiguration(node: node, broker: endpoint, store: store)
    }

    /// The same for a broker at `broker` (e.g. one a test starts later, or stops and starts again).
    public static func nodeConfiguration(node: String, broker: String, store: String) -> NodeConfiguration {
        nodeConfiguration(node: node, endpoints: [broker], store: store)
    }

    /// The same for a broker run as several instances at `endpoints`, in the order the node tries them.
    public static func nodeConfiguration(node: String, endpoints: [String], store: String) -> NodeConfiguration {
        NodeConfiguration(
            node: node, endpoints: endpoints, store: store, reconnectInitialMs: 50, reconnectMaxMs: 200,
            welcomeTimeoutMs: 1000)
    }

    /// Closes the ROUTER and ends the thread, as if the broker died. Idempotent.
    public func stop() {
        let already = state.stopped.withLock { stopped in
            defer { stopped = true }
            return stopped
        }
        if already { return }
        notifier.notify()
        state.finished.wait()
    }

    deinit { stop() }

    // MARK: - Behaviours

    /// A WELCOME for `node` with a new session id and the real broker's default limits.
    public static func welcome(_ node: String, heartbeatMs: Int = 1000, ackTimeoutMs: Int = 2000) -> Command {
        .welcome(
            Welcome(
                node: node, session: "s-\(UUID().uuidString.prefix(8))", heartbeatMs: heartbeatMs, liveness: 3,
                window: 64, ackTimeoutMs: ackTimeoutMs, maxHeader: 16384, maxBody: 1_048_576, maxRecipients: 64,
                pending: 0, receipts: 0))
    }

    /// Welcomes every HELLO, accepts every SEND (`seq(for:)`), answers PING.
    public static func standard(_ command: Command) -> [Command] {
        switch command {
        case .hello(let hello): [welcome(hello.node)]
        case .send(let send): [.accepted(Accepted(id: send.id, seq: seq(for: send.id), duplicate: false))]
        case .ping: [.pong]
        default: []
        }
    }

    /// A standby instance (1/RBP §7.1, §8 step 11): opens no session; answers every command but PONG and BYE with
    /// ERROR NOT_ACTIVE, fatal, naming the command (a QUERY's carrying its `ref`). Start it with `pingEveryMs: nil`:
    /// a standby has no session to keep alive.
    public static func standby(_ command: Command) -> [Command] {
        switch command {
        case .pong, .bye: return []
        default: break
        }
        let reason = "this broker is a standby: try the next endpoint"
        var ref: String?
        if case .query(let query) = command { ref = query.ref }
        return [.error(ErrorReply(code: .notActive, reason: reason, fatal: true, command: command.name, ref: ref))]
    }

    /// What an instance that stops being the active one sends each of its sessions (1/RBP §7.1): NOT_ACTIVE,
    /// fatal, without `command`.
    public static let notActive = Command.error(
        ErrorReply(
            code: .notActive, reason: "this broker is no longer the active one: try the next endpoint", fatal: true))

    /// A stable seq per message id, so that a resend gets the same number.
    public static func seq(for id: String) -> Int64 {
        Int64(id.utf8.reduce(0) { ($0 &* 31 &+ Int($1)) & 0xFFFF_FFFF }) + 1
    }
}
