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
    private let won = Mutex<Int64?>(nil)
    private let wonSignal = DispatchSemaphore(value: 0)
    private let logger: Logger

    init(
        options: PostgresStoreOptions, instance: String, endpoint: String, settings: LeaseSettings, logger: Logger,
        onLost: @escaping @Sendable (LeaseLost) -> Void
    ) throws {
        self.logger = logger
        let won = self.won
        let wonSignal = self.wonSignal
        lease = try PostgresLease(
            options: options, holder: instance, endpoint: endpoint,
            timings: LeaseTimings(
                ttlMilliseconds: Int64(settings.ttlMs), renewMilliseconds: Int64(settings.renewMs),
                standbyPollMilliseconds: Int64(settings.standbyPollMs)),
            logger: logger,
            onBecameActive: { epoch in
                won.withLock { $0 = epoch }
                wonSignal.signal()
            },
            onStoppedBeingActive: { epoch, reason in
                logger.critical(
                    "no longer the active instance: stopping",
                    metadata: ["lease_epoch": "\(epoch)", "reason": "\(reason)"])
                onLost(LeaseLost(epoch: epoch, reason: "\(reason)"))
            })
    }

    /// Blocks until this instance holds the lease (its epoch), or nil once `stopRequested` says to give up.
    func waitUntilActive(stopRequested: () -> Bool) -> Int64? {
        lease.start()
        logger.notice("standby: waiting for the lease (another instance may be active)")
        while true {
            if wonSignal.wait(timeout: .now() + .milliseconds(100)) == .success, let epoch = won.withLock({ $0 }) {
                logger.notice("active: this instance holds the lease", metadata: ["lease_epoch": "\(epoch)"])
                return epoch
            }
            if stopRequested() { return nil }
        }
    }

    /// Gives the lease back (graceful stop: a standby takes over at its next poll) and stops the lease thread.
    func release() {
        lease.stop(release: true)
    }
}
