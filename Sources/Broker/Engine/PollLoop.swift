import AgencyDirectory
import BrokerCore
import BrokerMachine
import BrokerStore
import CaseCore
import Foundation
import Logging
import ReferralProtocol
import ZeroMQ

/// The shell around `BrokerMachine`: the thread that owns the nodes' ROUTER, the admin socket and the ZAP handler.
///
/// Each turn: wait in zmq_poll (ROUTER, admin ROUTER, the store's eventfd, ZAP) until input or the machine's next
/// wake-up; decode what arrived and feed it to the machine; carry out the actions it returns (frames sent with
/// DONTWAIT and ROUTER_MANDATORY, so a slow or vanished node can never block the loop, and a refused DELIVER is
/// reported back and stays pending); hand all new store work to the store thread in one submission. Admin
/// requests are events like the nodes' commands: decoded here, answered by the machine.
final class PollLoop {
    let configuration: BrokerConfiguration
    let divisions: DivisionTable
    let logger: Logger
    let clock: any BrokerClock
    let worker: StoreWorker
    let notifier: EventNotifier
    let control: EngineControl
    let codecLimits: ReferralProtocol.Limits
    /// In-process admin requests (the HTTP listener's), answered like the admin socket's.
    let queries: BrokerQueries
    let readiness: Readiness

    var machine: BrokerMachine
    let context: ZMQContext
    let router: ZMQSocket
    let admin: ZMQSocket
    /// The ZAP handler (RFC 27): authenticates every CURVE handshake against the directory; nil in plaintext mode.
    let zap: ZMQSocket?
    /// The broker's CURVE secret key (read once at start, `StartupFiles`); nil in plaintext mode.
    let secretKey: CurveKey?

    /// Store work the machine decided this turn, submitted at its end.
    var storeRequests: [StoreRequest] = []
    /// Emptied action buffers for `feed`, kept with their capacity (at most `actionBufferCapacityKept`).
    var spareActionBuffers: [[MachineAction]] = []
    static let actionBufferCapacityKept = 4_096
    let startedAt: Int64
    var boundEndpoint = ""
    /// STATUS `store` (PostgreSQL: the lease status as last read in the background; nil with SQLite).
    var storeStatus: @Sendable () -> AdminStoreStatus? = { nil }

    init(
        configuration: BrokerConfiguration, jurisdiction: Jurisdiction, divisions: DivisionTable,
        scheduler: DeliveryScheduler,
        worker: StoreWorker, notifier: EventNotifier, control: EngineControl, clock: any BrokerClock, logger: Logger,
        escalation: EscalationSettings = .defaults, secretKey: CurveKey?, overrides: [NodeOverride] = [],
        queries: BrokerQueries, readiness: Readiness
    ) throws {
        self.secretKey = secretKey
        self.queries = queries
        self.readiness = readiness
        self.configuration = configuration
        self.divisions = divisions
        self.worker = worker
        self.notifier = notifier
        self.control = control
        self.clock = clock
        self.logger = logger
        self.codecLimits = configuration.limitsForCodec
        self.machine = BrokerMachine(
            settings: configuration.machineSettings(storeEpoch: worker.storeEpoch), jurisdiction: jurisdiction,
            escalation: escalation, scheduler: scheduler, overrides: overrides, now: clock.nowMillis())
        self.startedAt = clock.nowMillis()
        context = try ZMQContext()
        router = try ZMQSocket(context: context, type: .router)
        admin = try ZMQSocket(context: context, type: .router)
        zap = secretKey == nil ? nil : try ZMQSocket(context: context, type: .rep)
    }

    /// The most frames of one message the broker keeps: every command has at most 4, so a fifth is enough to
    /// answer BAD_FRAMES; the rest are discarded as they are read (1/RBP §13.7).
    static let framesKept = 5

    /// Binds both endpoints (`Endpoints`).
    func bind() throws {
        boundEndpoint = try Endpoints.bindNodes(
            router, zap: zap, secretKey: secretKey, configuration: configuration, logger: logger)
        try Endpoints.bindAdmin(admin, configuration: configuration)
    }

    /// Runs until stopped. Returns after the store thread has finished its last commit.
    func run() {
        logger.info(
            "listening",
            metadata: [
                "endpoint": "\(boundEndpoint)", "admin": "\(configuration.resolvedAdminEndpoint)",
                "nodes": "\(machine.jurisdiction.directory.allEntries.count)",
                "open_deliveries": "\(machine.scheduler.openDeliveryCount)",
                "security": "\(configuration.insecurePlaintext ? "PLAINTEXT (development only)" : "curve")",
            ])
        if configuration.followUpDayMs != 86_400_000 {
            logger.warning(
                "followup_day_ms is set: follow-up plans run in scaled time (tests only)",
                metadata: ["followup_day_ms": "\(configuration.followUpDayMs)"])
        }
        queries.open()
        // The ready file first: whoever sees /ready answer 200 finds the file written (tests read both).
        configuration.writeReadyFile(endpoint: boundEndpoint, http: readiness.httpAddress)
        readiness.markReady()
        var items = [
            PollItem(socket: router, events: .readable), PollItem(socket: admin, events: .readable),
            PollItem(fileDescriptor: notifier.fileDescriptor, events: .readable),
        ]
        if let zap { items.append(PollItem(socket: zap, events: .readable)) }
        var polled = PollSet(items)
        while true {
            do {
                try polled.poll(timeoutMilliseconds: pollTimeout())
            } catch {
                logger.critical("poll failed", metadata: ["error": "\(error)"])
                break
            }
            if turn(polled) { break }
        }
        finish()
    }

    /// One turn of the loop; true when the broker may exit.
    private func turn(_ polled: PollSet) -> Bool {
        var now = clock.nowMillis()
        if polled.revents(2).contains(.readable) {
            notifier.drain()
            takeCompletions(now: now)
            takeQueries(now: now)
        }
        if polled.count > 3 && polled.revents(3).contains(.readable) { answerHandshakes(now: now) }
        if polled.revents(0).contains(.readable) { receiveFromNodes(now: now) }
        if polled.revents(1).contains(.readable) { receiveAdmin(now: now) }
        now = clock.nowMillis()
        feed(.tick(now: now), now: now)
        flushStoreRequests()
        if control.takeReloadRequest() { reload(now: now, replyTo: nil) }
        if !machine.stopping && control.stopRequested { feed(.stop(now: now), now: now) }
        guard machine.stopping else { return false }
        // An instance that lost its lease has nothing to drain: every write it still has would be fenced.
        if control.stopCause != nil { return true }
        let backlog = worker.backlog
        let (exit, actions) = machine.mayExit(
            now: now, storeDrained: storeRequests.isEmpty && backlog.queued == 0 && !backlog.busy)
        perform(actions, now: now)
        return exit
    }

    private func pollTimeout() -> Int {
        if machine.stopping { return 50 }
        guard let wake = machine.nextWakeup else { return 1_000 }
        return Int(max(0, min(wake - clock.nowMillis(), 1_000)))
    }

    func flushStoreRequests() {
        guard !storeRequests.isEmpty else { return }
        worker.submit(&storeRequests)
    }
}
