import Foundation
import NIOCore
import PostgresNIO

/// The lease thread: a loop of `LeaseClock` steps, each statement bounded in time, the session reopened when it
/// broke.
extension PostgresLease {
    func run() {
        while true {
            condition.lock()
            let requests = mailbox
            mailbox.resign = false
            mailbox.statusRequests = []
            condition.unlock()

            if requests.resign { deliver(clock.resign(now: Self.monotonicMilliseconds())) }
            if !requests.statusRequests.isEmpty {
                let status = readStatus()
                for request in requests.statusRequests { request.answer(status) }
            }
            if requests.stopping {
                deliver(clock.resign(now: Self.monotonicMilliseconds()))
                if requests.releaseOnStop,
                    case .release(let epoch) = clock.poll(now: Self.monotonicMilliseconds()).operation
                {
                    release(epoch)
                }
                break
            }

            let step = clock.poll(now: Self.monotonicMilliseconds())
            deliver(step.events)
            switch step.operation {
            case .acquire:
                deliver(clock.acquired(acquire(), now: Self.monotonicMilliseconds()))
            case .renew(let epoch):
                deliver(clock.renewed(renew(epoch), now: Self.monotonicMilliseconds()))
            case .release(let epoch):
                release(epoch)
                clock.released(now: Self.monotonicMilliseconds())
            case .sleep(let until):
                sleep(until: until)
            }
        }
        dropSession()
        condition.lock()
        mailbox.finished = true
        let unanswered = mailbox.statusRequests
        mailbox.statusRequests = []
        condition.broadcast()
        condition.unlock()
        for request in unanswered { request.answer(localStatus(problem: "the lease is not running")) }
    }

    /// Sleeps until `until` (monotonic) or until another thread asks something.
    private func sleep(until: Int64) {
        condition.lock()
        defer { condition.unlock() }
        while !mailbox.hasWork {
            let remaining = until - Self.monotonicMilliseconds()
            if remaining <= 0 { break }
            _ = condition.wait(until: Date(timeIntervalSinceNow: Double(remaining) / 1000))
        }
    }

    private func deliver(_ events: [LeaseClock.Event]) {
        for event in events {
            switch event {
            case .becameActive(let epoch):
                shared.withLock { $0.role = .active(epoch: epoch) }
                logger.notice("lease won: this instance is active", metadata: ["lease_epoch": "\(epoch)"])
                onBecameActive(epoch)
            case .stoppedBeingActive(let epoch, let reason):
                shared.withLock { $0.role = .standby }
                logger.warning(
                    "stopped being active: \(reason)",
                    metadata: ["lease_epoch": "\(epoch)", "reason": "\(reason.rawValue)"])
                onStoppedBeingActive(epoch, reason)
            }
        }
    }

    private func acquire() -> LeaseClock.AcquireResult {
        let started = Self.monotonicMilliseconds()
        do {
            let epoch = try bounded(until: started + timings.silenceLimitMilliseconds) { session in
                try PostgresLeaseRow.acquire(
                    session, holder: holder, endpoint: endpoint, ttlMilliseconds: timings.ttlMilliseconds)
            }
            answered()
            shared.withLock {
                if epoch == nil { $0.counters.acquiresNotWon += 1 } else { $0.counters.acquiresWon += 1 }
            }
            return epoch.map { .won(epoch: $0) } ?? .notWon
        } catch {
            failed("acquire", error)
            shared.withLock { $0.counters.acquiresFailed += 1 }
            return .failed
        }
    }

    private func renew(_ epoch: Int64) -> LeaseClock.RenewResult {
        let started = Self.monotonicMilliseconds()
        // Past the give-up moment the answer no longer matters: the clock stops this instance then.
        let deadline = clock.giveUpAt ?? started + timings.silenceLimitMilliseconds
        do {
            let renewed = try bounded(until: deadline) { session in
                try PostgresLeaseRow.renew(session, epoch: epoch, ttlMilliseconds: timings.ttlMilliseconds)
            }
            answered()
            shared.withLock {
                if renewed { $0.counters.renewalsOk += 1 } else { $0.counters.renewalsLost += 1 }
            }
            return renewed ? .renewed : .lost
        } catch {
            failed("renew", error)
            shared.withLock { $0.counters.renewalsFailed += 1 }
            return .failed
        }
    }

    /// Best effort, once: a standby takes the lease after its expiry anyway.
    private func release(_ epoch: Int64) {
        do {
            try bounded(until: Self.monotonicMilliseconds() + timings.renewMilliseconds) { session in
                try PostgresLeaseRow.release(session, epoch: epoch)
            }
            logger.info("lease released", metadata: ["lease_epoch": "\(epoch)"])
        } catch {
            failed("release", error)
        }
    }

    private func readStatus() -> PostgresLeaseStatus {
        var status = localStatus(problem: nil)
        let now = Self.monotonicMilliseconds()
        do {
            try bounded(until: min(clock.giveUpAt ?? .max, now + timings.silenceLimitMilliseconds)) { session in
                if let row = try PostgresLeaseRow.read(session) {
                    status.leaseEpoch = row.epoch
                    status.holder = row.holder.isEmpty ? nil : row.holder
                    status.holderEndpoint = row.endpoint.isEmpty ? nil : row.endpoint
                    status.expiresInMilliseconds = row.expiresInMilliseconds
                }
                status.database = try PostgresReplicationStatus.read(session)
            }
        } catch {
            status.problem = "\(PostgresStoreError.wrap(error, operation: "lease status"))"
        }
        return status
    }

    /// Runs `body` on the session (opened first if needed) and closes the connection if it has not answered by
    /// `deadline` (monotonic): the body then fails, and the next step reconnects. Bounds a black-holed network,
    /// which no server-side timeout can.
    private func bounded<T>(until deadline: Int64, _ body: (PostgresSession) throws -> T) throws -> T {
        let session = try openSession(until: deadline)
        let connection = session.connection
        let watchdog = connection.eventLoop.scheduleTask(
            in: .milliseconds(max(1, deadline - Self.monotonicMilliseconds()))
        ) {
            connection.close().whenComplete { _ in }
        }
        let outcome = Result { try body(session) }
        // Before the session (and its event loop) may be closed below: a cancel on a closed loop cannot be scheduled.
        watchdog.cancel()
        if case .failure(let error) = outcome,
            session.isClosed || PostgresStoreError.wrap(error, operation: "lease").kind == .unavailable
        {
            dropSession()
        }
        return try outcome.get()
    }

    private func openSession(until deadline: Int64) throws -> PostgresSession {
        if let session, !session.isClosed { return session }
        dropSession()
        var options = self.options
        let remaining = deadline - Self.monotonicMilliseconds()
        options.connectTimeoutMilliseconds = Int(max(100, min(Int64(options.connectTimeoutMilliseconds), remaining)))
        let opened = try PostgresSession.connectPrimary(options, logger: logger)
        do {
            // A takeover blocked by an open fenced transaction gives up instead of queueing (POSTGRES-PLAN §5.1).
            try opened.execute("SET lock_timeout = \(timings.standbyPollMilliseconds)")
        } catch {
            try? opened.close()
            throw error
        }
        session = opened
        shared.withLock { $0.counters.connections += 1 }
        logger.info("lease session connected", metadata: ["host": "\(opened.host)"])
        return opened
    }

    private func dropSession() {
        guard let session else { return }
        self.session = nil
        try? session.close()
    }

    /// Logs a failure once per distinct cause (a standby polling a dead database would log twice a second).
    private func failed(_ operation: String, _ error: any Error) {
        let problem = "\(PostgresStoreError.wrap(error, operation: "lease \(operation)"))"
        guard problem != lastProblem else { return }
        lastProblem = problem
        logger.warning("\(problem)")
    }

    private func answered() {
        guard lastProblem != nil else { return }
        lastProblem = nil
        logger.info("the database answers the lease again")
    }
}
