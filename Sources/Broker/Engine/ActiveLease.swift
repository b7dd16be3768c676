import BrokerStorePostgres
import Foundation
import Logging
import Synchronization

/// Why the engine stopped by itself as the active instance of a PostgreSQL store: another instance took the
/// lease, or this one could not renew it in time (docs/FAILOVER.md). `referrald` exits with 75 (EX_TEMPFAIL); its
/// service manager starts it again, and it comes back as a standby.
public struct LeaseLost: Error, CustomStringConvertible, Sendable {
    public let epoch: Int64
    public let reason: String
    public var description: String { "no longer the active instance (lease epoch \(epoch)): \(reason)" }
}

/// The engine's side of the lease (`PostgresLease`): waits, as a standby, until this instance holds the lease, and
/// stops the engine the moment it stops holding it. Several instances share one PostgreSQL store; exactly one,
/// the lease holder, opens it for writing, binds the nodes' endpoint and fires deadlines.
final class ActiveLease: Sendable {
    let lease: PostgresLease
    private let won: WonEpoch
    private let logger: Logger
    /// How long a graceful stop may take after the lease is lost before the process exits anyway.
    static let stepDownGraceSeconds = 15

    /// The epoch the lease thread won, handed to the waiting start thread; and, once this instance lost its lease
    /// and is stopping, how to give back a lease its thread wins again meanwhile (it will never be used: a standby
    /// must not wait for it to expire).
    final class WonEpoch: Sendable {
        let epoch = Mutex<Int64?>(nil)
        let signal = DispatchSemaphore(value: 0)
        let steppingDown = Mutex(false)
        let resign = Mutex<(@Sendable () -> Void)?>(nil)
    }

    init(
        options: PostgresStoreOptions, instance: String, endpoint: String, settings: LeaseSettings, logger: Logger,
        onLost: @escaping @Sendable (LeaseLost) -> Bool
    ) throws {
        self.logger = logger
        let won = WonEpoch()
        self.won = won
        lease = try PostgresLease(
            options: options, holder: instance, endpoint: endpoint,
            timings: LeaseTimings(
                ttlMilliseconds: Int64(settings.ttlMs), renewMilliseconds: Int64(settings.renewMs),
                standbyPollMilliseconds: Int64(settings.standbyPollMs)),
            logger: logger,
            onBecameActive: { epoch in
                if won.steppingDown.withLock({ $0 }) {
                    won.resign.withLock { $0 }?()
                    return
                }
                won.epoch.withLock { $0 = epoch }
                won.signal.signal()
            },
            onStoppedBeingActive: { epoch, reason in
                // False when the engine was stopping anyway (a graceful stop releases the lease too).
                won.steppingDown.withLock { $0 = true }
                guard onLost(LeaseLost(epoch: epoch, reason: "\(reason)")) else { return }
                logger.critical(
                    "no longer the active instance: stopping",
                    metadata: ["lease_epoch": "\(epoch)", "reason": "\(reason)"])
                // The store thread may be waiting on a database that no longer answers (a COMMIT waits for the
                // synchronous standby without bound): a former active instance must not linger. Its writes are
                // fenced anyway; the service manager starts it again as a standby.
                DispatchQueue.global().asyncAfter(deadline: .now() + .seconds(Self.stepDownGraceSeconds)) {
                    logger.critical("stopping took too long after losing the lease: exiting now")
                    _exit(75)
                }
            })
        let lease = self.lease
        won.resign.withLock { $0 = { lease.resign() } }
    }

    /// Blocks until this instance holds the lease (its epoch), or nil once `stopRequested` says to give up. Meanwhile
    /// `standby` (when given) answers nodes and operators NOT_ACTIVE on this instance's endpoints; its sockets are
    /// closed before this returns, so the engine can bind them.
    func waitUntilActive(standby: StandbyLoop?, stopRequested: @escaping () -> Bool) -> Int64? {
        lease.start()
        logger.notice("standby: waiting for the lease (another instance may be active)")
        let wonOrStopping = { [won] in won.epoch.withLock { $0 } != nil || stopRequested() }
        if let standby {
            let status = LeaseStatusCache(lease: lease)
            standby.run(
                until: wonOrStopping,
                activeInstance: {
                    status.current().flatMap { read in read.holder.map { ($0, read.holderEndpoint ?? "") } }
                })
        }
        while !wonOrStopping() { _ = won.signal.wait(timeout: .now() + .milliseconds(100)) }
        guard let epoch = won.epoch.withLock({ $0 }), !stopRequested() else { return nil }
        logger.notice("active: this instance holds the lease", metadata: ["lease_epoch": "\(epoch)"])
        return epoch
    }

    /// Gives the lease back (graceful stop: a standby takes over at its next poll) and stops the lease thread.
    func release() {
        lease.stop(release: true)
    }
}
