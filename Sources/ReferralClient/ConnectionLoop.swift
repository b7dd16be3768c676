import Logging
import ReferralProtocol
import ZeroMQ

/// The connection thread: owns the DEALER socket for its whole life and runs one `zmq_poll` loop over the socket
/// and the eventfd through which the API posts commands (1/RBP §11.4 for the reconnect rules).
///
/// Phases: `idle` (no socket; waiting out the reconnect backoff) → `handshaking` (socket connecting, HELLO
/// sent or waiting for the connection) → `session` (after WELCOME). A lost session (broker silent for
/// liveness × heartbeat, BYE, fatal ERROR, no connection or no WELCOME in time) closes the socket and goes back
/// to `idle`; the next socket is a new one. ERROR NOT_CONNECTED sends HELLO again on the same socket.
///
/// libzmq's own reconnecting is switched off (`ZMQ_RECONNECT_IVL` = -1): if it silently reconnected a socket to
/// a restarted broker, that broker would answer the node's PINGs (PONG needs no session) while having no
/// session for it, and a node that only receives would never learn that nothing will be delivered to it.
/// Without it, a dropped connection stays dropped, the broker falls silent, and the loop makes a new socket
/// and says HELLO, with the reconnect backoff of 1/RBP §11.4.
final class ConnectionLoop {
    struct Session {
        var id: String
        var heartbeatMs: Int64
        var liveness: Int64
        var window: Int
        var ackTimeoutMs: Int64
    }

    enum Phase {
        case idle(reconnectAt: Int64)
        /// `helloSentAt` is nil while HELLO could not be handed to ZeroMQ yet (no connection).
        case handshaking(openedAt: Int64, helloSentAt: Int64?)
        case session(Session)
    }

    let configuration: NodeConfiguration
    let store: NodeStore
    let shared: NodeShared
    let logger: Logger
    let context: ZMQContext

    var socket: ZMQSocket?
    var phase: Phase = .idle(reconnectAt: 0)
    var backoffMs: Int64
    /// Monotonic times of the last message sent and received on the current socket.
    var lastSent: Int64 = 0
    var lastReceived: Int64 = 0
    var limits = Limits.default
    var scheduler = OutboxScheduler()
    var stopping = false

    static let agent = "referral-client/1"
    /// Most broker messages handled in one round (one store transaction).
    static let maxRound = 1024

    init(configuration: NodeConfiguration, store: NodeStore, shared: NodeShared, logger: Logger, context: ZMQContext) {
        self.configuration = configuration
        self.store = store
        self.shared = shared
        self.logger = logger
        self.context = context
        self.backoffMs = Int64(configuration.reconnectInitialMs)
    }

    /// Runs until `stop` is posted; then says BYE, closes the socket, terminates the context and signals.
    func run() {
        if let curve = configuration.curve {
            logger.info(
                "connecting to the broker with CURVE",
                metadata: [
                    "broker": "\(configuration.broker)", "server_public_key": "\(curve.serverPublicKey.z85)",
                    "public_key": "\(curve.publicKey.z85)",
                ])
        } else {
            logger.warning(
                "connecting to the broker WITHOUT CURVE (plain text): only a broker started in development mode accepts this",
                metadata: ["broker": "\(configuration.broker)"])
        }
        while !stopping {
            do {
                try iterate()
            } catch {
                // Socket or poll errors (never data): start over with a new socket.
                loseSession("connection error: \(error)")
            }
        }
        if case .session = phase { _ = send(.bye) }
        closeSocket()
        context.terminate()
        logger.info("disconnected")
        shared.finished.signal()
    }

    private func iterate() throws {
        for command in shared.takeCommands() {
            switch command {
            case .outboxChanged: scheduler.outboxChanged()
            case .stop: stopping = true
            }
        }
        if stopping { return }
        let now = monotonicMillis()
        advanceTimers(now: now)
        pumpOutbox(now: wallClockMillis())

        var items = [PollItem(fileDescriptor: shared.notifier.fileDescriptor, events: .readable)]
        if let socket {
            var events: PollEvents = .readable
            if wantsWritable { events.insert(.writable) }
            items.append(PollItem(socket: socket, events: events))
        }
        let ready = try zmqPoll(items, timeoutMilliseconds: pollTimeout(now: now))
        if ready[0].contains(.readable) { shared.notifier.drain() }
        if ready.count > 1, ready[1].contains(.readable) { try receiveRound() }
    }

    /// Whether something waits only for the socket to accept it.
    private var wantsWritable: Bool {
        switch phase {
        case .idle: false
        case .handshaking(_, let sentAt): sentAt == nil
        case .session: scheduler.hasUnsent
        }
    }

    private func pollTimeout(now: Int64) -> Int {
        var deadline = now + 1000
        switch phase {
        case .idle(let reconnectAt):
            deadline = min(deadline, reconnectAt)
        case .handshaking(let openedAt, let sentAt):
            if let sentAt {
                deadline = min(deadline, sentAt + Int64(configuration.welcomeTimeoutMs))
            } else {
                deadline = min(deadline, openedAt + connectTimeoutMs)
            }
        case .session(let session):
            deadline = min(
                deadline, lastSent + session.heartbeatMs, lastReceived + session.liveness * session.heartbeatMs)
            if let due = scheduler.nextDeadline(ackTimeout: session.ackTimeoutMs) {
                deadline = min(deadline, now + max(0, due - wallClockMillis()))
            }
        }
        return Int(max(0, deadline - now))
    }

    // MARK: - Timers and session life

    private func advanceTimers(now: Int64) {
        switch phase {
        case .idle(let reconnectAt):
            if now >= reconnectAt { openSocket(now: now) }
        case .handshaking(let openedAt, let sentAt):
            if let sentAt {
                if now - sentAt >= Int64(configuration.welcomeTimeoutMs) {
                    loseSession("no WELCOME within \(configuration.welcomeTimeoutMs) ms of HELLO")
                }
            } else if now - openedAt >= connectTimeoutMs {
                shared.problem.withLock { $0 = noConnectionProblem }
                loseSession("no connection to the broker within \(connectTimeoutMs) ms")
            } else {
                sendHello(now: now)
            }
        case .session(let session):
            if now - lastReceived >= session.liveness * session.heartbeatMs {
                loseSession("the broker was silent for \(now - lastReceived) ms")
            } else if now - lastSent >= session.heartbeatMs {
                // If ZeroMQ cannot take it (no connection), try again a heartbeat later rather than spinning.
                if !send(.ping) { lastSent = now }
            }
        }
    }

    private func openSocket(now: Int64) {
        do {
            let socket = try ZMQSocket(context: context, type: .dealer)
            try socket.setLinger(milliseconds: 500)
            try socket.setImmediate(true)
            try socket.setSendHighWaterMark(10_000)
            try socket.setReconnectInterval(milliseconds: -1, max: 0)  // see the type's comment
            if let curve = configuration.curve {
                // On every new socket: CURVE options apply to the connections made after they are set.
                try socket.setCurveClient(
                    publicKey: curve.publicKey, secretKey: curve.secretKey, serverKey: curve.serverPublicKey)
            }
            try socket.connect(configuration.broker)
            self.socket = socket
            lastSent = now
            lastReceived = now
            limits = .default
            phase = .handshaking(openedAt: now, helloSentAt: nil)
            sendHello(now: now)
        } catch {
            socket = nil
            shared.problem.withLock { $0 = "cannot connect to \(configuration.broker): \(error)" }
            loseSession("cannot open a connection to \(configuration.broker): \(error)")
        }
    }

    /// Sends HELLO if the socket takes it now; otherwise the loop waits for the socket to become writable.
    func sendHello(now: Int64) {
        let openedAt: Int64 =
            switch phase {
            case .handshaking(let openedAt, _): openedAt
            default: now
            }
        let hello = Hello(node: configuration.node, window: configuration.window, agent: Self.agent)
        phase = .handshaking(openedAt: openedAt, helloSentAt: send(.hello(hello)) ? now : nil)
    }

    /// What `connectionProblem` says while no connection gets through. A failed CURVE handshake (wrong broker key,
    /// key unknown to the broker) looks just like an unreachable broker from here, so it names the suspects.
    private var noConnectionProblem: String {
        if configuration.curve != nil {
            return "cannot connect to the broker at \(configuration.broker) (is it running? if so, check "
                + "server_public_key and that the broker's directory has this node's public_key, not suspended)"
        }
        return "cannot connect to the broker at \(configuration.broker) (this node uses no CURVE keys: only a "
            + "broker in development mode accepts it)"
    }

    /// How long a new socket may take to connect (and take HELLO) before it is replaced: twice the current
    /// reconnect backoff, at least 500 ms, at most the WELCOME timeout.
    var connectTimeoutMs: Int64 {
        min(Int64(configuration.welcomeTimeoutMs), max(2 * backoffMs, 500))
    }

    func openSession(_ welcome: Welcome) {
        let session = Session(
            id: welcome.session, heartbeatMs: Int64(configuration.heartbeatMs ?? welcome.heartbeatMs),
            liveness: Int64(max(1, welcome.liveness)), window: max(1, welcome.window),
            ackTimeoutMs: Int64(max(1, welcome.ackTimeoutMs)))
        phase = .session(session)
        limits = Limits(welcome)
        backoffMs = Int64(configuration.reconnectInitialMs)
        scheduler.resendAll()
        if let epoch = welcome.store { noteBrokerStore(epoch) }
        shared.connected.store(true, ordering: .releasing)
        shared.problem.withLock { $0 = nil }
        logger.info(
            "session opened",
            metadata: [
                "session": "\(welcome.session)", "pending": "\(welcome.pending)", "receipts": "\(welcome.receipts)",
                "window": "\(welcome.window)",
            ])
    }

    /// Closes the socket and schedules a new one after the reconnect backoff (with ±20 % jitter).
    func loseSession(_ reason: String) {
        closeSocket()
        let jittered = Int64(Double(backoffMs) * Double.random(in: 0.8...1.2))
        phase = .idle(reconnectAt: monotonicMillis() + jittered)
        logger.warning("session lost; reconnecting", metadata: ["reason": "\(reason)", "in_ms": "\(jittered)"])
        backoffMs = min(backoffMs * 2, Int64(configuration.reconnectMaxMs))
    }

    private func closeSocket() {
        socket?.close()
        socket = nil
        shared.connected.store(false, ordering: .releasing)
    }

    /// Sends one command without blocking; false if ZeroMQ cannot take it now (or there is no socket).
    func send(_ command: Command) -> Bool {
        guard let socket else { return false }
        do {
            guard try socket.send(Codec.encode(command)) else { return false }
            lastSent = monotonicMillis()
            return true
        } catch {
            logger.warning("cannot send \(command.name)", metadata: ["error": "\(error)"])
            return false
        }
    }

    // MARK: - Outbox

    /// Sends what the outbox scheduler allows: resends first, then new entries, within the window.
    private func pumpOutbox(now: Int64) {
        guard case .session(let session) = phase else { return }
        scheduler.tick(now: now, ackTimeout: session.ackTimeoutMs)
        while true {
            if scheduler.needsLoad(window: session.window) {
                let limit = max(session.window, 64)
                do {
                    let page = try store.queuedOutbox(after: scheduler.cursor, limit: limit)
                    scheduler.absorb(page: page, limit: limit, now: now)
                } catch {
                    logger.error("cannot read the outbox", metadata: ["error": "\(error)"])
                    return
                }
            }
            guard let row = scheduler.nextToSend(window: session.window, now: now) else { return }
            let command = Command.send(
                Send(
                    id: row.id, to: row.to, kind: row.kind, caseId: row.caseId, priority: row.priority, body: row.body,
                    followUp: row.followUp)
            )
            if !send(command) {
                scheduler.markUnsent(row.id)
                return
            }
        }
    }

    /// The wait before resending after a retryable rejection number `retries + 1`.
    func retryDelay(retries: Int) -> Int64 {
        let initial = Int64(configuration.reconnectInitialMs)
        let exponent = Int64(min(max(retries, 0), 20))
        return min(initial << exponent, Int64(configuration.reconnectMaxMs))
    }
}
