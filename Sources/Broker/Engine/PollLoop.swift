import AgencyDirectory
import BrokerCore
import BrokerStore
import CaseCore
import Foundation
import Logging
import ReferralProtocol
import ZeroMQ

/// The thread that owns the nodes' ROUTER and the admin socket.
///
/// Each turn: wait in zmq_poll (ROUTER, admin ROUTER, the store's eventfd) until input or the
/// scheduler's next timer; decode what arrived; let the `DeliveryScheduler` decide; carry out
/// its effects; hand all new store work to the store thread in one submission. Every ROUTER
/// send uses DONTWAIT with ROUTER_MANDATORY, so a slow or vanished node can never block the
/// loop, and a refused send leaves the delivery pending in the store.
final class PollLoop {
    let configuration: BrokerConfiguration
    var jurisdiction: Jurisdiction
    let divisions: DivisionTable
    var rateLimiter: RateLimiter
    let logger: Logger
    let clock: any BrokerClock
    let worker: StoreWorker
    let notifier: EventNotifier
    let control: EngineControl
    let codecLimits: ReferralProtocol.Limits

    var scheduler: DeliveryScheduler
    var cache: MessageCache
    let context: ZMQContext
    let router: ZMQSocket
    let admin: ZMQSocket
    /// The ZAP handler (RFC 27): authenticates every CURVE handshake against the directory; nil in plaintext mode.
    let zap: ZMQSocket?
    /// The broker's CURVE secret key (read once at start, `StartupFiles`); nil in plaintext mode.
    let secretKey: CurveKey?

    /// node id -> its live session and connection.
    var connections: [String: (session: UInt64, routingId: [UInt8])] = [:]
    var nodeByRoutingId: [[UInt8]: String] = [:]
    var storeRequests: [StoreRequest] = []
    var pendingAccepts = 0
    /// Deliveries waiting for their message to be read from the store.
    var waitingForLoad: [Int64: [(node: String, session: UInt64, attempt: Int)]] = [:]
    var loadRequests: [Int64] = []
    /// Escalation policies and calendar read at start and on reload, and the next window of due deadlines.
    var escalation: EscalationSettings
    var planner: EscalationPlanner
    var deadlineWindow = DeadlineWindow()
    var stopping = false
    var stopDeadline: Int64 = 0
    let startedAt: Int64
    var boundEndpoint = ""

    init(
        configuration: BrokerConfiguration, jurisdiction: Jurisdiction, divisions: DivisionTable,
        scheduler: DeliveryScheduler,
        worker: StoreWorker, notifier: EventNotifier, control: EngineControl, clock: any BrokerClock, logger: Logger,
        escalation: EscalationSettings = .defaults, secretKey: CurveKey?
    ) throws {
        self.secretKey = secretKey
        self.escalation = escalation
        self.planner = EscalationPlanner(calendar: escalation.calendar)
        self.configuration = configuration
        self.jurisdiction = jurisdiction
        self.divisions = divisions
        self.rateLimiter = RateLimiter(
            perSecond: configuration.rateLimit.messagesPerSecond, burst: configuration.rateLimit.burst)
        self.scheduler = scheduler
        self.worker = worker
        self.notifier = notifier
        self.control = control
        self.clock = clock
        self.logger = logger
        self.codecLimits = configuration.limitsForCodec
        self.cache = MessageCache(capacityBytes: configuration.messageCacheBytes)
        self.startedAt = clock.nowMillis()
        context = try ZMQContext()
        router = try ZMQSocket(context: context, type: .router)
        admin = try ZMQSocket(context: context, type: .router)
        zap = secretKey == nil ? nil : try ZMQSocket(context: context, type: .rep)
    }

    /// The message-size limit of 1/RBP §13.7: the most octets one frame may carry.
    var frameSizeLimit: Int {
        configuration.limits.maxBodyBytes + configuration.limits.maxHeaderBytes + Liveness.framingOctets
    }

    /// What CURVE adds to each frame on the wire (the MESSAGE command's name, nonce, flags and MAC), which
    /// ZMQ_MAXMSGSIZE counts: without it, frames of the last 33 octets under the limit were dropped unanswered.
    static let curveFrameOverhead = 33

    /// The most frames of one message the broker keeps: every command has at most 4, so a fifth is enough to
    /// answer BAD_FRAMES; the rest are discarded as they are read (1/RBP §13.7).
    static let framesKept = 5

    /// Binds both endpoints. Errors name the endpoint so the operator knows what to fix.
    func bind() throws {
        try router.setLinger(milliseconds: 0)
        try router.setRouterMandatory(true)
        try router.setSendHighWaterMark(100_000)
        try router.setReceiveHighWaterMark(100_000)
        try router.setMaxMessageSize(Int64(frameSizeLimit + (configuration.insecurePlaintext ? 0 : Self.curveFrameOverhead)))
        try router.setHandshakeInterval(milliseconds: Int32(clamping: configuration.handshakeTimeoutMs))
        try configureSecurity()
        // libzmq restarts these timers only when a whole frame has arrived: a large message on a slow link must
        // not look like a dead connection (1/RBP §11.1), so they allow the same silence as a session.
        let silence = Int32(
            clamping: Liveness.silenceAllowanceMs(
                heartbeatMs: Int64(configuration.heartbeatMs), liveness: Int64(configuration.liveness),
                maxHeader: configuration.limits.maxHeaderBytes, maxBody: configuration.limits.maxBodyBytes))
        try router.setHeartbeat(
            interval: Int32(clamping: configuration.heartbeatMs), timeout: silence, ttl: min(silence, 6_553_500))
        do {
            try router.bind(configuration.endpoint)
        } catch {
            throw ConfigurationError(
                field: "endpoint", reason: "cannot bind \(configuration.endpoint): \(error)")
        }
        boundEndpoint = (try? router.lastEndpoint) ?? configuration.endpoint

        try admin.setLinger(milliseconds: 0)
        try admin.setRouterMandatory(true)
        let adminEndpoint = configuration.resolvedAdminEndpoint
        let adminPath = String(adminEndpoint.dropFirst("ipc://".count))
        try FileManager.default.createDirectory(
            atPath: (adminPath as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        // A stale socket file from a killed broker would make bind fail.
        try? FileManager.default.removeItem(atPath: adminPath)
        let oldMask = umask(0o077)
        defer { umask(oldMask) }
        do {
            try admin.bind(adminEndpoint)
        } catch {
            throw ConfigurationError(
                field: "admin_endpoint", reason: "cannot bind \(adminEndpoint): \(error)")
        }
        chmod(adminPath, 0o600)
    }

    /// Runs until stopped. Returns after the store thread has finished its last commit.
    func run() {
        logger.info(
            "listening",
            metadata: [
                "endpoint": "\(boundEndpoint)", "admin": "\(configuration.resolvedAdminEndpoint)",
                "nodes": "\(jurisdiction.directory.allEntries.count)",
                "open_deliveries": "\(scheduler.openDeliveryCount)",
                "security": "\(configuration.insecurePlaintext ? "PLAINTEXT (development only)" : "curve")",
            ])
        if configuration.followUpDayMs != 86_400_000 {
            logger.warning(
                "followup_day_ms is set: follow-up plans run in scaled time (tests only)",
                metadata: ["followup_day_ms": "\(configuration.followUpDayMs)"])
        }
        writeReadyFile()
        var items = [
            PollItem(socket: router, events: .readable), PollItem(socket: admin, events: .readable),
            PollItem(fileDescriptor: notifier.fileDescriptor, events: .readable),
        ]
        if let zap { items.append(PollItem(socket: zap, events: .readable)) }
        while true {
            let revents: [PollEvents]
            do {
                revents = try zmqPoll(items, timeoutMilliseconds: pollTimeout())
            } catch {
                logger.critical("poll failed", metadata: ["error": "\(error)"])
                break
            }
            var now = clock.nowMillis()
            if revents[2].contains(.readable) {
                notifier.drain()
                handleCompletions(worker.takeCompletions(), now: now)
            }
            if revents.count > 3 && revents[3].contains(.readable) { answerHandshakes(now: now) }
            if revents[0].contains(.readable) { receiveFromNodes(now: now) }
            if revents[1].contains(.readable) { receiveAdmin(now: now) }
            now = clock.nowMillis()
            scheduler.tick(now: now)
            scheduler.pump(now: now)
            carryOut(scheduler.takeEffects(), now: now)
            if !stopping { fireDueDeadlines(now: now) }
            flushStoreRequests()
            if control.takeReloadRequest() { reload(now: now, replyTo: nil) }
            if !stopping && control.stopRequested {
                beginStop(now: now)
            }
            if stopping && readyToExit(now: now) { break }
        }
        finish()
    }

    private func pollTimeout() -> Int {
        if stopping { return 50 }
        let now = clock.nowMillis()
        let wakes = [scheduler.nextWakeup(), deadlineWindow.nextWakeup].compactMap { $0 }
        guard let wake = wakes.min() else { return 1_000 }
        return Int(max(0, min(wake - now, 1_000)))
    }

    func flushStoreRequests() {
        if !loadRequests.isEmpty {
            storeRequests.append(.load(seqs: loadRequests))
            loadRequests.removeAll(keepingCapacity: true)
        }
        guard !storeRequests.isEmpty else { return }
        worker.submit(storeRequests)
        storeRequests.removeAll(keepingCapacity: true)
    }

    private func writeReadyFile() {
        guard let path = configuration.readyFile else { return }
        let object: [String: Any] = [
            "endpoint": boundEndpoint, "admin": configuration.resolvedAdminEndpoint,
            "pid": Int(ProcessInfo.processInfo.processIdentifier),
        ]
        guard
            let data = try? JSONSerialization.data(
                withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
        else { return }
        let temporary = path + ".tmp"
        FileManager.default.createFile(atPath: temporary, contents: data)
        _ = rename(temporary, path)
    }
}
