import BrokerCore
import BrokerMachine
import BrokerStore
import BrokerStorePostgres
import Foundation
import Logging
import ReferralProtocol
import Synchronization
import ZeroMQ

/// Thread-safe handle the service uses to stop the poll thread.
final class EngineControl: Sendable {
    private let stop = Mutex(false)
    private let stopped = Mutex<(done: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))

    private let reload = Mutex(false)
    private let startedFlag = Mutex(false)
    /// Why the engine stopped by itself (nil: asked to, SIGTERM/SIGINT): the service throws it.
    private let cause = Mutex<LeaseLost?>(nil)

    var stopCause: LeaseLost? { cause.withLock { $0 } }

    /// Stops the engine because it may not go on (the lease is lost), unless a stop was already asked for; true
    /// when this is what stops it.
    @discardableResult
    func requestStop(notifier: EventNotifier, because lost: LeaseLost) -> Bool {
        let first = stop.withLock { stopping in
            defer { stopping = true }
            return !stopping
        }
        if first { cause.withLock { $0 = lost } }
        notifier.notify()
        return first
    }

    var started: Bool { startedFlag.withLock { $0 } }
    func markStarted() { startedFlag.withLock { $0 = true } }

    var stopRequested: Bool { stop.withLock { $0 } }

    func requestReload(notifier: EventNotifier) {
        reload.withLock { $0 = true }
        notifier.notify()
    }

    func takeReloadRequest() -> Bool {
        reload.withLock { requested in
            defer { requested = false }
            return requested
        }
    }

    func requestStop(notifier: EventNotifier) {
        stop.withLock { $0 = true }
        notifier.notify()
    }

    func markStopped() {
        let waiters = stopped.withLock { state in
            state.done = true
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    func waitUntilStopped() async {
        await withCheckedContinuation { continuation in
            let resumeNow = stopped.withLock { state in
                if state.done { return true }
                state.waiters.append(continuation)
                return false
            }
            if resumeNow { continuation.resume() }
        }
    }
}

/// The daemon's engine: opens the store, restores the scheduler from it, binds the sockets
/// and runs the poll and store threads. `start()` returns once the broker is listening (or
/// throws why it cannot); `stop()` is graceful.
public final class BrokerEngine: Sendable {
    let configuration: BrokerConfiguration
    let logger: Logger
    let control = EngineControl()
    let notifier: EventNotifier
    let storeMetrics: StoreMetrics
    /// The in-process admin door (the HTTP listener asks through it).
    public let queries: BrokerQueries
    /// The database lease of a PostgreSQL store (nil with SQLite), once start() made it.
    let activeLease = Mutex<ActiveLease?>(nil)
    /// What /ready answers.
    public let readiness = Readiness()

    public init(configuration: BrokerConfiguration, logger: Logger, storeMetrics: StoreMetrics = .init(factory: nil))
        throws
    {
        self.configuration = configuration
        self.logger = logger
        self.storeMetrics = storeMetrics
        self.notifier = try EventNotifier()
        self.queries = BrokerQueries(notifier: notifier)
    }

    /// Whether `start()` succeeded.
    public var isStarted: Bool { control.started }
    public var stopWasRequested: Bool { control.stopRequested }
    /// Why the engine stopped by itself (the lease of a PostgreSQL store was lost); nil after a requested stop.
    public var stopCause: LeaseLost? { control.stopCause }

    /// `start()` on a thread of its own, awaited without holding a thread of the cooperative pool.
    public func startOnThread() async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let thread = Thread { [self] in
                do {
                    try start()
                    continuation.resume()
                } catch {
                    continuation.resume(throwing: error)
                }
            }
            thread.name = "referrald-start"
            thread.start()
        }
    }

    public func start() throws {
        let clock = SystemClock()
        // Every file first: a configuration that is not valid creates nothing (no folder, no store).
        let files = try StartupFiles.load(configuration)
        // PostgreSQL: several instances share the store; this one goes on only once it holds the lease.
        var leaseEpoch: Int64?
        if let lease = try makeLease(password: files.storePassword) {
            activeLease.withLock { $0 = lease }
            let standby = try StandbyLoop(
                configuration: configuration, jurisdiction: files.jurisdiction, secretKey: files.secretKey,
                logger: logger)
            try standby.bind()
            let control = control
            guard let epoch = lease.waitUntilActive(standby: standby, stopRequested: { control.stopRequested }) else {
                lease.release()
                throw CancellationError()
            }
            leaseEpoch = epoch
        }
        let store = try openStore(files.store, leaseEpoch: leaseEpoch, clock: clock)
        try recordAuditTailProblem(of: store, now: clock.nowMillis())
        let restored = try restoreScheduler(from: store, clock: clock)
        // The operators' node overrides (NODE-SUSPEND, NODE-ROTATE-KEY) are laid over the directory before any
        // handshake is answered.
        let overrides = try store.nodeOverrides()
        let (escalation, divisions, jurisdiction, secretKey) =
            (files.escalation, files.divisions, files.jurisdiction, files.secretKey)
        let worker = StoreWorker(store: store, notifier: notifier, logger: logger, metrics: storeMetrics)
        let started = StartOutcome()
        let ready = DispatchSemaphore(value: 0)
        let leaseStatus = activeLease.withLock { $0 }.map { LeaseStatusCache(lease: $0.lease) }
        _ = leaseStatus?.current()  // the first read starts now, so the first STATUS likely finds it
        let thread = Thread { [configuration, logger, notifier, control, overrides, queries, readiness] in
            let loop: PollLoop
            do {
                loop = try PollLoop(
                    configuration: configuration, jurisdiction: jurisdiction, divisions: divisions,
                    scheduler: restored,
                    worker: worker, notifier: notifier, control: control, clock: clock, logger: logger,
                    escalation: escalation, secretKey: secretKey, overrides: overrides, queries: queries,
                    readiness: readiness)
                if let leaseStatus { loop.storeStatus = { leaseStatus.admin() } }
                try loop.bind()
            } catch {
                started.set(.failure(error))
                ready.signal()
                worker.stop()
                control.markStopped()
                return
            }
            started.set(.success(()))
            ready.signal()
            loop.run()
            queries.close()
            readiness.markStopping()
            // The store thread has committed its last batch: a standby may take over at once.
            self.activeLease.withLock { $0 }?.release()
            control.markStopped()
        }
        thread.name = "referrald-poll"
        thread.stackSize = 8 << 20
        worker.start()
        thread.start()
        ready.wait()
        if case .failure(let error) = started.get() { throw error }
        control.markStarted()
    }

    /// Opens the store; while another process holds its lock, tries again every 100 ms for `store_lock_wait_ms`
    /// (0, the default: refused at once, as one process per store wants). Waiting lets a broker restarted while
    /// the old one still drains come up as soon as it is gone; /health answers meanwhile, /ready does not.
    /// The lease of a PostgreSQL store (nil with SQLite).
    private func makeLease(password: PostgreSQLPassword?) throws -> ActiveLease? {
        guard case .postgresql(let database, let settings) = configuration.store.backend else { return nil }
        let (control, notifier) = (control, notifier)
        let options = database.storeOptions(password: password, instance: configuration.instance)
        // The lease row is one of the store's tables: an empty database gets them before anyone waits for it.
        try PostgresBrokerStore.prepareDatabase(options: options, logger: logger)
        return try ActiveLease(
            options: options,
            instance: configuration.instance, endpoint: configuration.endpoint, settings: settings, logger: logger,
            onLost: { lost in control.requestStop(notifier: notifier, because: lost) })
    }

    private func openStore(_ opener: StoreOpener, leaseEpoch: Int64?, clock: some BrokerClock) throws
        -> any BrokerStoring
    {
        let giveUpAt = clock.nowMillis() + Int64(configuration.storeLockWaitMs)
        var logged = false
        while true {
            do {
                return try opener.open(leaseEpoch)
            } catch let error as BrokerStoreError where error.kind == .locked && error.operation == "lock" {
                guard clock.nowMillis() < giveUpAt, !control.stopRequested else { throw error }
                if !logged {
                    logger.notice(
                        "waiting for the store's lock",
                        metadata: [
                            "path": "\(configuration.storePath)",
                            "store_lock_wait_ms": "\(configuration.storeLockWaitMs)",
                        ])
                    logged = true
                }
                Thread.sleep(forTimeInterval: 0.1)
            }
        }
    }

    /// A chain whose tail does not verify is recorded in the chain itself, and the broker runs on: refusing would
    /// stop the service over evidence it can only preserve; `referralctl audit verify` keeps reporting it.
    private func recordAuditTailProblem(of store: some BrokerStoring, now: Int64) throws {
        guard let problem = store.auditTailProblem else { return }
        logger.critical(
            """
            the audit chain's tail does not verify: it was altered while the broker was stopped; run \
            `referralctl audit verify` and investigate (deploy/README.md, "Store recovery")
            """,
            metadata: ["path": "\(configuration.storePath)", "problem": "\(problem)"])
        _ = try store.run([.audit(AuditEvent(at: now, event: AuditEvent.Name.auditTailBroken, detail: problem))])
    }

    /// The scheduler as the store left it: held lanes, dead-letter counts, the last receipt number, and how many open
    /// deliveries and unconfirmed receipts wait per node. None of them is loaded: each node's are read a page at a
    /// time once it has a session, so start-up does not grow with the backlog (the counts are one row per node of
    /// `node_backlog`, kept exact by each batch).
    private func restoreScheduler(from store: some BrokerStoring, clock: some BrokerClock) throws -> DeliveryScheduler {
        var scheduler = DeliveryScheduler(config: schedulerConfig)
        let began = clock.nowMillis()
        let backlog = DeliveryScheduler.StoreBacklog(
            deliveries: try store.openDeliveryCounts(), receipts: try store.unconfirmedReceiptCounts())
        scheduler.restore(
            held: try store.loadHeldCases().map {
                HeldLane(caseId: $0.caseId, recipient: $0.recipient, seq: $0.seq, since: $0.since)
            },
            deadLetters: try store.deadLetterCounts(), backlog: backlog, lastReceiptId: try store.lastReceiptId())
        // Cases are not loaded: each case-moving SEND is decided against its row inside the accepting
        // transaction (`AcceptUnit.caseMove`), so memory and start time do not grow with the cases.
        logger.info(
            "store opened",
            metadata: [
                "store": "\(configuration.storeDescription)",
                "open_deliveries": "\(backlog.deliveries.values.reduce(0, +))",
                "unconfirmed_receipts": "\(backlog.receipts.values.reduce(0, +))",
                "restore_ms": "\(clock.nowMillis() - began)",
            ])
        return scheduler
    }

    /// Graceful stop: returns when the last commit is done and the sockets are closed.
    public func stop() async {
        readiness.markStopping()
        control.requestStop(notifier: notifier)
        await control.waitUntilStopped()
    }

    public func waitUntilStopped() async { await control.waitUntilStopped() }

    public func requestStop() {
        readiness.markStopping()
        control.requestStop(notifier: notifier)
    }

    /// SIGHUP: reload the directory, the authorization and escalation policies and the calendar on the poll
    /// thread (all or nothing).
    public func requestReload() { control.requestReload(notifier: notifier) }

    var schedulerConfig: SchedulerConfig {
        var config = SchedulerConfig()
        config.ackTimeoutMs = Int64(configuration.ackTimeoutMs)
        config.initialBackoffMs = Int64(configuration.redelivery.initialMs)
        config.maxBackoffMs = Int64(configuration.redelivery.maxMs)
        config.maxAttempts = configuration.redelivery.maxAttempts
        config.heartbeatMs = Int64(configuration.heartbeatMs)
        config.liveness = configuration.liveness
        config.transferAllowanceMs = Liveness.transferAllowanceMs(
            maxHeader: configuration.limits.maxHeaderBytes, maxBody: configuration.limits.maxBodyBytes)
        config.linkOctetsPerSecond = Int64(Liveness.minimumLinkOctetsPerSecond)
        config.receiptResendMs = Int64(configuration.ackTimeoutMs)
        config.deliveryMemory = configuration.deliveryMemory
        config.receiptMemory = configuration.receiptMemory
        return config
    }
}

extension BrokerConfiguration {
    /// What the machine needs of this configuration.
    func machineSettings(storeEpoch: String?) -> MachineSettings {
        MachineSettings(
            limits: limitsForCodec, heartbeatMs: heartbeatMs, liveness: liveness, ackTimeoutMs: ackTimeoutMs,
            maxPendingAccepts: maxPendingAccepts, ratePerSecond: rateLimit.messagesPerSecond,
            rateBurst: rateLimit.burst, messageCacheBytes: messageCacheBytes, followUpDayMs: followUpDayMs,
            storeEpoch: storeEpoch, retention: retentionSettings, auditVerifyIntervalMs: Int64(auditVerifyIntervalMs),
            keyFingerprint: { z85 in CurveKey(z85: z85).map { AuditEvent.keyFingerprint(of: $0.bytes) } })
    }
}

extension BrokerConfiguration {
    /// The retention periods as the machine takes them: 0 in the file keeps that class forever (nil).
    var retentionSettings: RetentionSettings {
        func period(_ ms: Int) -> Int64? { ms > 0 ? Int64(ms) : nil }
        return RetentionSettings(
            periods: RetentionPeriods(
                closedCase: period(retention.closedCaseBodyMs), caseless: period(retention.caselessBodyMs),
                deadLetter: period(retention.deadLetterBodyMs)),
            intervalMs: Int64(retention.purgeIntervalMs), batch: retention.purgeBatch)
    }
}

/// How the poll thread's start went, handed back to `start()`.
private final class StartOutcome: Sendable {
    private let value = Mutex<Result<Void, any Error>?>(nil)
    func set(_ result: Result<Void, any Error>) { value.withLock { $0 = result } }
    func get() -> Result<Void, any Error>? { value.withLock { $0 } }
}
