import BrokerStorePostgres
import Foundation
import ReferralProtocol
import Synchronization

/// The lease's status (`PostgresLease.status`) as last read, for STATUS and the metrics: refreshed in the
/// background at most every 2 s, so the poll thread never waits for the database. The first ask starts the first
/// read and gets nil (STATUS then shows the backend only).
final class LeaseStatusCache: Sendable {
    private struct State {
        var status: PostgresLeaseStatus?
        var readAt: UInt64 = 0
        var refreshing = false
    }

    private let lease: PostgresLease
    private let state = Mutex(State())

    init(lease: PostgresLease) { self.lease = lease }

    /// The latest status, its lease time left counted down since it was read.
    func current() -> PostgresLeaseStatus? {
        let now = DispatchTime.now().uptimeNanoseconds
        let (latest, readAt, due) = state.withLock { state in
            let due = !state.refreshing && (state.status == nil || now - state.readAt > 2_000_000_000)
            if due { state.refreshing = true }
            return (state.status, state.readAt, due)
        }
        if due {
            DispatchQueue.global().async { [self] in
                let status = lease.status(timeoutMilliseconds: 1_000)
                state.withLock { state in
                    state.status = status
                    state.readAt = DispatchTime.now().uptimeNanoseconds
                    state.refreshing = false
                }
            }
        }
        guard var status = latest else { return nil }
        let elapsed = Int64((now &- readAt) / 1_000_000)
        status.expiresInMilliseconds = status.expiresInMilliseconds.map { max(0, $0 - elapsed) }
        return status
    }

    /// What STATUS shows of it.
    func admin() -> AdminStoreStatus {
        guard let status = current() else { return AdminStoreStatus(backend: "postgresql") }
        return AdminStoreStatus(status)
    }
}

extension AdminStoreStatus {
    init(_ status: PostgresLeaseStatus) {
        let database = status.database.map { database in
            AdminStoreStatus.Database(
                host: database.host, inRecovery: database.inRecovery, synchronousCommit: database.synchronousCommit,
                synchronousStandbyNames: database.synchronousStandbyNames,
                standbys: database.standbys?.map {
                    AdminStoreStatus.Standby(
                        name: $0.name, state: $0.state, syncState: $0.syncState,
                        replayLagMs: $0.replayLagMilliseconds)
                })
        }
        self.init(
            backend: "postgresql", instance: status.instance, role: status.role.rawValue,
            lease: AdminStoreStatus.Lease(
                epoch: status.leaseEpoch ?? status.heldEpoch, holder: status.holder,
                holderEndpoint: status.holderEndpoint, expiresInMs: status.expiresInMilliseconds),
            database: database)
    }
}
