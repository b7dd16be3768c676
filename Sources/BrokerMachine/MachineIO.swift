import BrokerCore
import ReferralProtocol
import StoreModel

/// What happened, as the shell tells the machine. Time comes in with every event: the machine never reads a clock.
public enum MachineEvent: Sendable {
    /// A message from a node's connection, decoded by the shell (or why it could not be).
    case received(Arrival, now: Int64)
    /// What became of a DELIVER the machine asked for (`MachineAction.deliver`).
    case delivery(node: String, Deliver, DeliveryOutcome, now: Int64)
    /// What the store thread committed or read.
    case stored([StoreCompletion], now: Int64)
    /// A request from the admin endpoint, decoded by the shell (or why it could not be).
    case admin(AdminArrival, now: Int64)
    /// Timers: the scheduler's, the deadline window's, the stop's grace.
    case tick(now: Int64)
    /// The reloadable files, already read by the shell (or why they could not be): SIGHUP, or after
    /// `MachineAction.readReloadFiles` for an admin RELOAD.
    case reload(Result<Reloadable, ReloadRefusal>, replyTo: AdminPeer?, now: Int64)
    /// SIGTERM: refuse new SENDs, let the store drain.
    case stop(now: Int64)
    /// The very last turn: BYE to every node.
    case finish
    /// The very last turn of an instance that stopped being the active one (it lost the lease of a PostgreSQL store,
    /// docs/FAILOVER.md): ERROR NOT_ACTIVE, fatal, without `command`, to every node instead of BYE, so each moves to
    /// its next endpoint at once (1/RBP §7.1).
    case stepDown
}

/// One message from a node's connection.
public struct Arrival: Sendable {
    public var routingId: [UInt8]
    /// The ZAP User-Id of this very message (the Z85 key it authenticated with); nil in plaintext mode.
    public var userId: String?
    public var peer: String?
    public var command: Result<Command, DecodeFailure>

    public init(routingId: [UInt8], userId: String?, peer: String?, command: Result<Command, DecodeFailure>) {
        self.routingId = routingId
        self.userId = userId
        self.peer = peer
        self.command = command
    }
}

/// How a DELIVER went: `busy`, the peer is at its high-water mark; `gone`, the routing id is not connected.
public enum DeliveryOutcome: Sendable, Hashable {
    case sent, busy, gone
}

/// What the machine decided, for the shell to carry out in order.
public enum MachineAction: Sendable {
    /// Any command but DELIVER to a connection; not sent is not retried (the spec's answer to a busy peer).
    case send(Command, to: [UInt8])
    /// A DELIVER: the shell reports back with `MachineEvent.delivery`.
    case deliver(Deliver, node: String, to: [UInt8])
    /// Work for the store thread, in the next submission.
    case store(StoreRequest)
    case log(LogLine)
    /// An ADMIN-1 reply, for the shell to encode (`AdminCodec`) and send; not sent is not retried.
    case reply(AdminResponse, to: AdminPeer)
    /// An admin RELOAD: the shell reads the reloadable files and hands them back with `MachineEvent.reload`.
    case readReloadFiles(replyTo: AdminPeer)
}

/// A log line the machine asks for: a level, a message and metadata. Never a message body.
public struct LogLine: Sendable, Hashable {
    public enum Level: Sendable, Hashable { case debug, info, notice, warning, error, critical }
    public var level: Level
    public var message: String
    public var metadata: [String: String]

    public init(_ level: Level, _ message: String, _ metadata: [String: String] = [:]) {
        self.level = level
        self.message = message
        self.metadata = metadata
    }
}
