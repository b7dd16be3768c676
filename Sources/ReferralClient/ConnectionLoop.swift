import Logging
import ReferralProtocol
import ZeroMQ

/// The connection thread: owns the DEALER socket (and the PAIR that reads its monitor) for its whole life and runs
/// one `zmq_poll` loop over them and the eventfd through which the API posts commands (1/RBP §11.4 for the
/// reconnect rules).
///
/// Phases: `idle` (no socket; waiting out the reconnect backoff) → `connecting` (socket open, no usable connection
/// yet: libzmq connects and reconnects by itself, every `reconnectIntervalMs` up to `reconnectIntervalMaxMs`) →
/// `greeting` (HELLO sent on the current connection) → `session` (after WELCOME).
///
/// The socket monitor tells the loop about every connection at once: a connection that drops (broker restarted,
/// connection reset) ends the session and the loop waits in `connecting`; every connection whose handshake
/// succeeds is new to the broker, so the loop says HELLO on it right away. A refused handshake (the broker's ZAP
/// said no, or the peer broke the protocol), no WELCOME in time, BYE, a fatal ERROR or a broker silent for
/// liveness × heartbeat plus the transfer allowance (1/RBP §11.1) close the socket; a new one follows after the
/// reconnect backoff (at once after BYE). ERROR NOT_CONNECTED sends HELLO again on the same socket.
///
/// Several broker endpoints (a broker's active instance and its standbys, 1/RBP §11.4): the socket is connected to
/// one of them, `rotation.current`. ERROR NOT_ACTIVE, a refused connection (or none within the WELCOME timeout), a
/// refused handshake, no WELCOME in time or a silent broker move the loop to the next endpoint; `EndpointRotation`
/// decides which and when, this loop only carries it out.
final class ConnectionLoop {
    struct Session {
        var id: String
        var heartbeatMs: Int64
        var window: Int
        var ackTimeoutMs: Int64
        /// A broker silent this long is dead: liveness heartbeats plus the transfer allowance (1/RBP §11.1).
        var silenceMs: Int64
    }

    enum Phase {
        case idle(reconnectAt: Int64)
        /// No usable connection since `since`. `helloDue`: a connection's handshake succeeded and HELLO waits for
        /// ZeroMQ to take it.
        case connecting(since: Int64, helloDue: Bool)
        /// HELLO was sent on the current connection at `helloSentAt`; WELCOME is awaited.
        case greeting(helloSentAt: Int64)
        case session(Session)
    }

    let configuration: NodeConfiguration
    let store: NodeStore
    let shared: NodeShared
    let logger: Logger
    let context: ZMQContext

    var socket: ZMQSocket?
    /// Reads the socket's monitor (connections made, lost, refused); open exactly while `socket` is.
    var monitor: ZMQSocket?
    /// Makes each monitor's inproc endpoint unique within the context.
    private var monitorSerial = 0
    /// Handshakes dropped by the peer since the last one that succeeded (a wrong server key looks like this).
    var droppedHandshakes = 0
    var phase: Phase = .idle(reconnectAt: 0)
    /// Which broker endpoint to connect to, and the reconnect backoff.
    var rotation: EndpointRotation
    /// Monotonic times of the last message sent and received on the current socket.
    var lastSent: Int64 = 0
    var lastReceived: Int64 = 0
    var limits = Limits.default
    var scheduler = OutboxScheduler()
    var stopping = false

    static let agent = "referral-client/1"
    /// libzmq's own TCP reconnects (1/RBP §4.1): quick, so that a broker that is back is seen well under a second
    /// later; connection attempts to a broker that is down are cheap (refused at once).
    static let reconnectIntervalMs: Int32 = 100
    static let reconnectIntervalMaxMs: Int32 = 500
    /// The peer dropping this many handshakes in a row is a refusal (wrong server key): back off instead.
    static let maxDroppedHandshakes = 3
    static let monitoredEvents: SocketEvents = [
        .disconnected, .handshakeSucceeded, .handshakeFailedNoDetail, .handshakeFailedProtocol, .handshakeFailedAuth,
    ]
    /// Most broker messages handled in one round (one store transaction).
    static let maxRound = 1024

    init(configuration: NodeConfiguration, store: NodeStore, shared: NodeShared, logger: Logger, context: ZMQContext) {
        self.configuration = configuration
        self.store = store
        self.shared = shared
        self.logger = logger
        self.context = context
        self.rotation = EndpointRotation(
            endpoints: configuration.endpoints, initialBackoffMs: Int64(configuration.reconnectInitialMs),
            maxBackoffMs: Int64(configuration.reconnectMaxMs))
    }

    /// Runs until `stop` is posted; then says BYE, closes the socket, terminates the context and signals.
    func run() {
        if let curve = configuration.curve {
            logger.info(
                "connecting to the broker with CURVE",
                metadata: [
                    "broker": "\(brokerForLogs)", "server_public_key": "\(curve.serverPublicKey.z85)",
                    "public_key": "\(curve.publicKey.z85)",
                ])
        } else {
            logger.warning(
                "connecting to the broker WITHOUT CURVE (plain text): only a broker started in development mode accepts this",
                metadata: ["broker": "\(brokerForLogs)"])
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
        shared.queries.failAll(ReferralClientError.shutDown)
        context.terminate()
        logger.info("disconnected")
        shared.finished.signal()
    }

    private func iterate() throws {
        for command in shared.takeCommands() {
            switch command {
            case .outboxChanged: scheduler.outboxChanged()
            case .queued(let rows): scheduler.handOver(rows, limit: pageLimit, now: wallClockMillis())
            case .query(let query): sendQuery(query)
            case .stop: stopping = true
            }
        }
        if stopping { return }
        let now = monotonicMillis()
        advanceTimers(now: now)
        pumpOutbox(now: wallClockMillis())

        var items = [PollItem(fileDescriptor: shared.notifier.fileDescriptor, events: .readable)]
        if let socket, let monitor {
            var events: PollEvents = .readable
            if wantsWritable { events.insert(.writable) }
            items.append(PollItem(socket: monitor, events: .readable))
            items.append(PollItem(socket: socket, events: events))
        }
        let ready = try zmqPoll(items, timeoutMilliseconds: pollTimeout(now: now))
        if ready[0].contains(.readable) { shared.notifier.drain() }
        // Connection events first: a message read after them belongs to the connection they leave current.
        if ready.count > 2, ready[1].contains(.readable) { try handleMonitorEvents() }
        if ready.count > 2, ready[2].contains(.readable), socket != nil { try receiveRound() }
    }

    /// The configured endpoints, as logs show them.
    private var brokerForLogs: String { configuration.endpoints.joined(separator: ",") }

    /// Whether something waits only for the socket to accept it.
    private var wantsWritable: Bool {
        switch phase {
        case .idle, .greeting: false
        case .connecting(_, let helloDue): helloDue
        case .session: scheduler.hasUnsent
        }
    }

    private func pollTimeout(now: Int64) -> Int {
        var deadline = now + 1000
        switch phase {
        case .idle(let reconnectAt):
            deadline = min(deadline, reconnectAt)
        case .connecting(let since, _):
            if shared.problem.withLock({ $0 == nil }) { deadline = min(deadline, since + connectTimeoutMs) }
            if rotation.hasSeveral { deadline = min(deadline, since + Int64(configuration.welcomeTimeoutMs)) }
        case .greeting(let sentAt):
            deadline = min(deadline, sentAt + Int64(configuration.welcomeTimeoutMs))
        case .session(let session):
            deadline = min(deadline, lastSent + session.heartbeatMs, lastReceived + session.silenceMs)
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
        case .connecting(let since, let helloDue):
            if helloDue {
                sendHello(now: now)
            } else if rotation.hasSeveral, now - since >= Int64(configuration.welcomeTimeoutMs) {
                // Another endpoint may be up: do not wait for this one (1/RBP §11.4).
                loseSession(
                    "no connection to \(rotation.current) within \(configuration.welcomeTimeoutMs) ms", .tryAnother)
            } else if now - since >= connectTimeoutMs {
                // libzmq keeps trying; say why nothing happens meanwhile.
                shared.problem.withLock { if $0 == nil { $0 = noConnectionProblem } }
            }
        case .greeting(let sentAt):
            if now - sentAt >= Int64(configuration.welcomeTimeoutMs) {
                loseSession("no WELCOME within \(configuration.welcomeTimeoutMs) ms of HELLO", .tryAnother)
            }
        case .session(let session):
            if now - lastReceived >= session.silenceMs {
                // A paused instance looks like this; another may have taken over (1/RBP §11.4).
                loseSession("the broker was silent for \(now - lastReceived) ms", .tryAnother)
            } else if now - lastSent >= session.heartbeatMs {
                // If ZeroMQ cannot take it (no connection), try again a heartbeat later rather than spinning.
                if !send(.ping) { lastSent = now }
            }
        }
    }

    func openSocket(now: Int64) {
        do {
            let socket = try ZMQSocket(context: context, type: .dealer)
            try socket.setLinger(milliseconds: 500)
            try socket.setImmediate(true)
            try socket.setSendHighWaterMark(10_000)
            try socket.setHandshakeInterval(milliseconds: 5_000)
            try socket.setReconnectInterval(milliseconds: Self.reconnectIntervalMs, max: Self.reconnectIntervalMaxMs)
            if let curve = configuration.curve {
                // On every new socket: CURVE options apply to the connections made after they are set.
                try socket.setCurveClient(
                    publicKey: curve.publicKey, secretKey: curve.secretKey, serverKey: curve.serverPublicKey)
            }
            // The monitor's reader connects before the socket does, so no event of the first connection is lost.
            monitorSerial += 1
            let monitorEndpoint = "inproc://referral-client-monitor-\(monitorSerial)"
            // With several endpoints a failed connection attempt is a reason to move on: watch for it too.
            try socket.monitor(
                monitorEndpoint,
                events: rotation.hasSeveral ? Self.monitoredEvents.union(.closed) : Self.monitoredEvents)
            let monitor = try ZMQSocket(context: context, type: .pair)
            self.socket = socket
            self.monitor = monitor
            try monitor.setLinger(milliseconds: 0)
            try monitor.connect(monitorEndpoint)
            // One endpoint per socket: a DEALER connected to several would spread its messages over them.
            try socket.connect(rotation.current)
            lastSent = now
            lastReceived = now
            limits = .default
            droppedHandshakes = 0
            phase = .connecting(since: now, helloDue: false)
        } catch {
            closeSocket()
            let endpoint = rotation.current
            shared.problem.withLock { $0 = "cannot connect to \(endpoint): \(error)" }
            loseSession("cannot open a connection to \(endpoint): \(error)", .tryAnother)
        }
    }

    /// Sends HELLO if the socket takes it now; otherwise the loop waits for the socket to become writable.
    func sendHello(now: Int64) {
        let hello = Hello(node: configuration.node, window: configuration.window, agent: Self.agent)
        if send(.hello(hello)) {
            phase = .greeting(helloSentAt: now)
        } else {
            phase = .connecting(since: now, helloDue: true)
        }
    }

    /// What `connectionProblem` says while no connection gets through. A failed CURVE handshake (wrong broker key,
    /// key unknown to the broker) looks just like an unreachable broker from here, so it names the suspects.
    var noConnectionProblem: String {
        if configuration.curve != nil {
            return "cannot connect to the broker at \(rotation.current) (is it running? if so, check "
                + "server_public_key and that the broker's directory has this node's public_key, not suspended)"
        }
        return "cannot connect to the broker at \(rotation.current) (this node uses no CURVE keys: only a "
            + "broker in development mode accepts it)"
    }

    /// How long the loop waits for a connection before it reports `noConnectionProblem` (libzmq goes on trying):
    /// twice the current reconnect backoff, at least 500 ms, at most the WELCOME timeout.
    var connectTimeoutMs: Int64 {
        min(Int64(configuration.welcomeTimeoutMs), max(2 * rotation.backoffMs, 500))
    }

    func openSession(_ welcome: Welcome) {
        let heartbeatMs = Int64(configuration.heartbeatMs ?? welcome.heartbeatMs)
        let liveness = Int64(max(1, welcome.liveness))
        let session = Session(
            id: welcome.session, heartbeatMs: heartbeatMs, window: max(1, welcome.window),
            ackTimeoutMs: Int64(max(1, welcome.ackTimeoutMs)),
            silenceMs: Liveness.silenceAllowanceMs(
                heartbeatMs: heartbeatMs, liveness: liveness, maxHeader: welcome.maxHeader, maxBody: welcome.maxBody))
        phase = .session(session)
        limits = Limits(welcome)
        rotation.welcomed()
        scheduler.resendAll()
        if let epoch = welcome.store { noteBrokerStore(epoch) }
        shared.connected.store(true, ordering: .releasing)
        shared.problem.withLock { $0 = nil }
        logger.info(
            "session opened",
            metadata: [
                "session": "\(welcome.session)", "pending": "\(welcome.pending)", "receipts": "\(welcome.receipts)",
                "window": "\(welcome.window)", "endpoint": "\(rotation.current)",
            ])
    }

    /// Closes the socket and schedules a new one: on the next endpoint soon, or after the reconnect backoff, as
    /// `rotation` decides for `failure` (`backOff`: the same endpoint after the backoff, as with one endpoint).
    func loseSession(_ reason: String, _ failure: EndpointRotation.Failure = .backOff) {
        closeSocket()
        let left = rotation.current
        let now = monotonicMillis()
        let reconnectAt = rotation.failed(failure, now: now) { Double.random(in: $0) }
        phase = .idle(reconnectAt: reconnectAt)
        var metadata: Logger.Metadata = ["reason": "\(reason)", "in_ms": "\(reconnectAt - now)"]
        if rotation.hasSeveral {
            metadata["endpoint"] = "\(left)"
            metadata["next_endpoint"] = "\(rotation.current)"
        }
        logger.warning("session lost; reconnecting", metadata: metadata)
    }

    func closeSocket() {
        // An answer never outlives its connection: the queries sent on it will not be answered.
        shared.queries.failAll(ReferralQueryError.notConnected)
        // The socket first: closing it stops its monitor.
        socket?.close()
        socket = nil
        monitor?.close()
        monitor = nil
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
                let limit = pageLimit
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

    /// How many queued entries the loop holds ready at most: a page of the outbox.
    private var pageLimit: Int {
        if case .session(let session) = phase { max(session.window, 64) } else { max(configuration.window, 64) }
    }

    /// The wait before resending after a retryable rejection number `retries + 1`.
    func retryDelay(retries: Int) -> Int64 {
        let initial = Int64(configuration.reconnectInitialMs)
        let exponent = Int64(min(max(retries, 0), 20))
        return min(initial << exponent, Int64(configuration.reconnectMaxMs))
    }
}
