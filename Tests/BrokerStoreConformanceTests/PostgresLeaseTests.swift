import BrokerStorePostgres
import Foundation
import PostgresNIO
import Testing

/// The broker lease and the fence against a real cluster (POSTGRES-PLAN §5): two `PostgresLease`s on one database
/// play two broker instances. Orders of events are asserted, never timings; waits are bounded.
@Suite(.serialized) struct PostgresLeaseTests {
    /// Short intervals so a takeover after a death takes about 1.6 s.
    static let fast = LeaseTimings(ttlMilliseconds: 1500, renewMilliseconds: 500, standbyPollMilliseconds: 100)

    @Test func onlyOneOfTwoLeasesBecomesActive() throws {
        try withTwoLeases { _, log, a, b in
            a.start()
            b.start()
            defer {
                a.stop(release: true)
                b.stop(release: true)
            }
            #expect(log.wait { $0.count == 1 })
            let (active, standby) = a.role == .standby ? (b, a) : (a, b)
            // Several renewals (past the first lease's ttl) and several refused polls later, still one active.
            #expect(eventually { active.counters.renewalsOk >= 4 && standby.counters.acquiresNotWon >= 4 })
            #expect(log.entries == [.became(active.holder, 1)])
            #expect(active.role == .active(epoch: 1))
            #expect(standby.role == .standby)
            #expect(standby.counters.acquiresWon == 0)
        }
    }

    @Test func theStandbyTakesOverAfterTheActiveStopsRenewing() throws {
        try withTwoLeases { _, log, a, b in
            a.start()
            #expect(log.wait { $0 == [.became("broker-a", 1)] })
            b.start()
            defer { b.stop(release: true) }
            #expect(eventually { b.counters.acquiresNotWon >= 1 })
            // Death: the thread stops without giving the lease back; the row is left to expire.
            a.stop(release: false)
            #expect(log.wait { $0.contains(.became("broker-b", 2)) })
            #expect(
                log.entries == [
                    .became("broker-a", 1), .stopped("broker-a", 1, .resigned), .became("broker-b", 2),
                ])
        }
    }

    @Test func aGracefulReleaseLetsTheStandbyTakeOverAtItsNextPoll() throws {
        // A ttl far beyond the wait: the standby can only take over this soon because the lease was given back.
        let long = LeaseTimings(ttlMilliseconds: 600_000, renewMilliseconds: 1000, standbyPollMilliseconds: 100)
        try withTwoLeases(long) { _, log, a, b in
            a.start()
            #expect(log.wait { $0 == [.became("broker-a", 1)] })
            b.start()
            defer { b.stop(release: true) }
            #expect(eventually { b.counters.acquiresNotWon >= 1 })
            a.stop(release: true)
            #expect(log.wait(seconds: 20) { $0.contains(.became("broker-b", 2)) })
            #expect(
                log.entries == [
                    .became("broker-a", 1), .stopped("broker-a", 1, .resigned), .became("broker-b", 2),
                ])
        }
    }

    @Test func aFormerLeadersFencedTransactionIsRefusedAndStoresNothing() throws {
        try withTwoLeases { options, log, a, b in
            a.start()
            #expect(log.wait { $0 == [.became("broker-a", 1)] })
            let storeA = try PostgresSession.connectPrimary(options)
            defer { try? storeA.close() }
            try fencedInsert(storeA, epoch: 1, node: "node-a-before")

            b.start()
            defer { b.stop(release: true) }
            a.stop(release: false)
            #expect(log.wait { $0.contains(.became("broker-b", 2)) })

            let error = #expect(throws: PostgresStoreError.self) {
                try fencedInsert(storeA, epoch: 1, node: "node-a-after")
            }
            #expect(error?.kind == .fenced)
            let storeB = try PostgresSession.connectPrimary(options)
            defer { try? storeB.close() }
            try fencedInsert(storeB, epoch: 2, node: "node-b")
            #expect(try nodes(storeB) == ["node-a-before", "node-b"])
        }
    }

    @Test func aTakeoverWaitsUntilTheFormerLeadersOpenFencedTransactionEnds() throws {
        try PostgresTestDatabase.with { options in
            try PostgresBrokerStore(options: options).close()
            let log = LeaseEventLog()
            let a = try log.lease("broker-a", options, Self.fast)
            a.start()
            #expect(log.wait { $0 == [.became("broker-a", 1)] })
            // A's store session keeps its transaction open for the whole test (not ended by the server here).
            var patient = options
            patient.idleInTransactionTimeoutMilliseconds = 60_000
            let storeA = try PostgresSession.connectPrimary(patient)
            defer { try? storeA.close() }
            try storeA.execute("BEGIN")
            try PostgresFence.check(storeA, leaseEpoch: 1)
            try storeA.query("INSERT INTO node_overrides (node) VALUES (\("node-a"))")
            a.stop(release: false)

            let b = try PostgresSession.connectPrimary(options)
            defer { try? b.close() }
            try b.execute("SET lock_timeout = 200")
            // Expiring the lease changes no key column: it does not wait for A's FOR KEY SHARE lock.
            try PostgresLeaseRow.release(b, epoch: 1)
            // Taking it changes the epoch: it must wait for A's transaction, so with a short lock_timeout it fails.
            let blocked = #expect(throws: PSQLError.self) {
                try PostgresLeaseRow.acquire(b, holder: "broker-b", endpoint: "tcp://b:5570", ttlMilliseconds: 1500)
            }
            #expect(blocked?.serverInfo?[.sqlState] == "55P03")
            #expect(try PostgresLeaseRow.read(b)?.epoch == 1)

            try storeA.execute("COMMIT")
            #expect(
                try PostgresLeaseRow.acquire(b, holder: "broker-b", endpoint: "tcp://b:5570", ttlMilliseconds: 1500)
                    == 2)
            #expect(try nodes(b) == ["node-a"])
            let error = #expect(throws: PostgresStoreError.self) {
                try fencedInsert(storeA, epoch: 1, node: "node-a-late")
            }
            #expect(error?.kind == .fenced)
            #expect(try nodes(b) == ["node-a"])
        }
    }

    @Test func aTakeoverQueuedBehindAnOpenFencedTransactionGetsTheLeaseAfterItsCommit() throws {
        try PostgresTestDatabase.with { options in
            try PostgresBrokerStore(options: options).close()
            let admin = try PostgresSession.connectPrimary(options)
            defer { try? admin.close() }
            #expect(
                try PostgresLeaseRow.acquire(
                    admin, holder: "broker-a", endpoint: "tcp://a:5570", ttlMilliseconds: 60_000)
                    == 1)
            var patient = options
            patient.idleInTransactionTimeoutMilliseconds = 60_000
            let storeA = try PostgresSession.connectPrimary(patient)
            defer { try? storeA.close() }
            try storeA.execute("BEGIN")
            try PostgresFence.check(storeA, leaseEpoch: 1)
            try storeA.query("INSERT INTO node_overrides (node) VALUES (\("node-a"))")
            try PostgresLeaseRow.release(admin, epoch: 1)

            // B's takeover, with a patient lock_timeout, on a thread of its own: it queues behind A's transaction.
            let b = try PostgresSession.connectPrimary(options)
            defer { try? b.close() }
            try b.execute("SET lock_timeout = 30000")
            try b.execute("SET application_name = 'lease-test-b'")
            let takeover = TakeoverOutcome<Int64?>()
            let thread = Thread {
                takeover.set(
                    Result {
                        try PostgresLeaseRow.acquire(
                            b, holder: "broker-b", endpoint: "tcp://b:5570", ttlMilliseconds: 60_000)
                    })
            }
            thread.start()
            #expect(
                try eventually {
                    try admin.query(
                        """
                        SELECT count(*) FROM pg_stat_activity
                        WHERE application_name = 'lease-test-b' AND wait_event_type = 'Lock'
                        """
                    ).rows.first?.decode(Int64.self) == 1
                })
            #expect(takeover.value == nil)
            try storeA.execute("COMMIT")
            #expect(eventually { takeover.value != nil })
            #expect(try takeover.value?.get() == 2)
            #expect(try nodes(admin) == ["node-a"])
        }
    }

    @Test func aFrozenLeaderInsideATransactionIsEndedByTheServerAndItsCommitFails() throws {
        try withTwoLeases { options, log, a, b in
            a.start()
            #expect(log.wait { $0 == [.became("broker-a", 1)] })
            // idle_in_transaction_session_timeout is 1 s, set by PostgresSession on every broker session.
            #expect(options.idleInTransactionTimeoutMilliseconds == 1000)
            let storeA = try PostgresSession.connectPrimary(options)
            defer { try? storeA.close() }
            let pid = try storeA.query("SELECT pg_backend_pid()").rows.first?.decode(Int32.self)
            try storeA.execute("BEGIN")
            try PostgresFence.check(storeA, leaseEpoch: 1)
            try storeA.query("INSERT INTO node_overrides (node) VALUES (\("node-frozen"))")
            // Frozen: neither its lease thread nor its store thread does anything from here.
            a.stop(release: false)
            let admin = try PostgresSession.connectPrimary(options)
            defer { try? admin.close() }
            #expect(
                try eventually {
                    try admin.query("SELECT count(*) FROM pg_stat_activity WHERE pid = \(pid)").rows.first?.decode(
                        Int64.self) == 0
                })
            b.start()
            defer { b.stop(release: true) }
            #expect(log.wait { $0.contains(.became("broker-b", 2)) })

            #expect(storeA.isClosed)
            // The resumed leader's COMMIT: on a thread, so a COMMIT that never answers fails the test, not hangs it.
            let commit = TakeoverOutcome<Void>()
            Thread { commit.set(Result { try storeA.execute("COMMIT") }) }.start()
            #expect(eventually { commit.value != nil })
            #expect(throws: PostgresStoreError.self) { try commit.value?.get() }
            #expect(try nodes(admin) == [])
            #expect(
                log.entries == [
                    .became("broker-a", 1), .stopped("broker-a", 1, .resigned), .became("broker-b", 2),
                ])
        }
    }

    @Test func theActivesRenewalsNeverWaitForItsOwnOpenFencedTransaction() throws {
        try PostgresTestDatabase.with { options in
            try PostgresBrokerStore(options: options).close()
            let log = LeaseEventLog()
            let a = try log.lease("broker-a", options, Self.fast)
            a.start()
            defer { a.stop(release: true) }
            #expect(log.wait { $0 == [.became("broker-a", 1)] })
            var patient = options
            patient.idleInTransactionTimeoutMilliseconds = 60_000
            let storeA = try PostgresSession.connectPrimary(patient)
            defer { try? storeA.close() }
            try storeA.execute("BEGIN")
            try PostgresFence.check(storeA, leaseEpoch: 1)
            try storeA.query("INSERT INTO node_overrides (node) VALUES (\("node-a"))")

            // A renewal with a short lock_timeout succeeds while the fenced transaction holds FOR KEY SHARE.
            let other = try PostgresSession.connectPrimary(options)
            defer { try? other.close() }
            try other.execute("SET lock_timeout = 200")
            #expect(try PostgresLeaseRow.renew(other, epoch: 1, ttlMilliseconds: 1500))
            // And the lease thread keeps renewing through it: several renewals past the ttl, still active.
            let renewals = a.counters.renewalsOk
            #expect(eventually { a.counters.renewalsOk >= renewals + 4 })
            #expect(a.role == .active(epoch: 1))
            try storeA.execute("COMMIT")
            #expect(try nodes(other) == ["node-a"])
            #expect(log.entries == [.became("broker-a", 1)])
        }
    }

    @Test func theLeaseReconnectsWhenItsSessionBreaksAndStaysActive() throws {
        try PostgresTestDatabase.with { options in
            try PostgresBrokerStore(options: options).close()
            // A silence limit long enough that a reconnect on a loaded machine never reaches it.
            let patient = LeaseTimings(ttlMilliseconds: 20_000, renewMilliseconds: 300, standbyPollMilliseconds: 100)
            let log = LeaseEventLog()
            let a = try log.lease("broker-a", options, patient)
            a.start()
            defer { a.stop(release: true) }
            #expect(log.wait { $0 == [.became("broker-a", 1)] })
            let admin = try PostgresSession.connectPrimary(options)
            defer { try? admin.close() }
            let terminated = try admin.query(
                """
                SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                WHERE application_name = 'referrald lease' AND datname = current_database()
                """
            ).rows.map { try $0.decode(Bool.self) }
            #expect(terminated == [true])
            let renewals = a.counters.renewalsOk
            #expect(eventually { a.counters.connections >= 2 && a.counters.renewalsOk >= renewals + 2 })
            #expect(a.role == .active(epoch: 1))
            #expect(log.entries == [.became("broker-a", 1)])
        }
    }

    @Test func statusShowsTheRoleTheRowAndTheDatabase() throws {
        try withTwoLeases { options, log, a, b in
            #expect(a.status().problem == "the lease is not running")
            a.start()
            #expect(log.wait { $0 == [.became("broker-a", 1)] })
            b.start()
            let active = a.status()
            #expect(active.role == .active)
            #expect(active.instance == "broker-a")
            #expect(active.heldEpoch == 1)
            #expect(active.leaseEpoch == 1)
            #expect(active.holder == "broker-a")
            #expect(active.holderEndpoint == "tcp://broker-a:5570")
            #expect((1...1500).contains(active.expiresInMilliseconds ?? 0))
            #expect(active.problem == nil)
            #expect(active.database?.inRecovery == false)
            #expect(active.database?.synchronousCommit == "on")
            #expect(active.database?.standbys != nil)
            let standby = b.status()
            #expect(standby.role == .standby)
            #expect(standby.instance == "broker-b")
            #expect(standby.heldEpoch == nil)
            #expect(standby.holder == "broker-a")
            #expect(standby.leaseEpoch == 1)

            a.stop(release: true)
            #expect(log.wait { $0.contains(.became("broker-b", 2)) })
            let after = a.status()
            #expect(after.role == .standby)
            #expect(after.problem == "the lease is not running")
            let taken = b.status()
            #expect(taken.role == .active)
            #expect(taken.holder == "broker-b")
            b.stop(release: true)
            let released = try PostgresSession.connectPrimary(options)
            defer { try? released.close() }
            #expect(try PostgresLeaseRow.read(released)?.expiresInMilliseconds == 0)
        }
    }

    @Test func replicationStatusReadsWithoutPgMonitorAsNilFields() throws {
        try PostgresTestDatabase.with { options in
            let session = try PostgresSession.connectPrimary(options)
            defer { try? session.close() }
            let status = try PostgresReplicationStatus.read(session)
            #expect(status.host == options.hosts[0].description)
            #expect(status.inRecovery == false)
            #expect(status.synchronousCommit == "on")
            #expect(status.synchronousStandbyNames != nil)
            // The test role is not a member of pg_monitor: whatever standbys stream, their details are hidden.
            for standby in status.standbys ?? [] {
                #expect(standby.state == nil)
                #expect(standby.syncState == nil)
            }
        }
    }

    /// Runs only when the cluster has a synchronous standby streaming from it (`scripts/pg-test-cluster
    /// start-standby`) and `REFERRAL_TEST_PG_STANDBY=1` says so.
    @Test func replicationStatusShowsTheSynchronousStandbyToAMonitoringRoleOnly() throws {
        guard ProcessInfo.processInfo.environment["REFERRAL_TEST_PG_STANDBY"] == "1" else {
            print("replication status with a standby skipped: REFERRAL_TEST_PG_STANDBY is not 1")
            return
        }
        try PostgresTestDatabase.with { options in
            var superuser = options
            superuser.user = "postgres"
            let monitoring = try PostgresSession.connectPrimary(superuser)
            defer { try? monitoring.close() }
            let seen = try PostgresReplicationStatus.read(monitoring)
            let standby = try #require(seen.standbys?.first)
            #expect(standby.state == "streaming")
            #expect(standby.syncState == "sync")
            #expect(standby.name.map { seen.synchronousStandbyNames?.contains($0) == true } == true)

            let plain = try PostgresSession.connectPrimary(options)
            defer { try? plain.close() }
            let hidden = try PostgresReplicationStatus.read(plain)
            #expect(hidden.standbys?.count == seen.standbys?.count)
            #expect(hidden.standbys?.first?.state == nil)
            #expect(hidden.standbys?.first?.syncState == nil)
            #expect(hidden.standbys?.first?.replayLagMilliseconds == nil)
            #expect(hidden.synchronousStandbyNames == seen.synchronousStandbyNames)
        }
    }

    @Test func timingsThatCannotWorkAreRefusedBeforeAnythingRuns() {
        let options = PostgresStoreOptions(hosts: [.init("127.0.0.1", port: 1)], database: "referral", user: "referral")
        let error = #expect(throws: PostgresStoreError.self) {
            try PostgresLease(
                options: options, holder: "broker-a", endpoint: "tcp://a:5570",
                timings: LeaseTimings(ttlMilliseconds: 1000, renewMilliseconds: 500),
                onBecameActive: { _ in }, onStoppedBeingActive: { _, _ in })
        }
        #expect(error?.kind == .misconfigured)
    }

    /// A fresh database with the broker's schema and two leases on it, broker-a and broker-b, neither started yet.
    private func withTwoLeases(
        _ timings: LeaseTimings = Self.fast,
        _ body: (PostgresStoreOptions, LeaseEventLog, PostgresLease, PostgresLease) throws -> Void
    ) throws {
        try PostgresTestDatabase.with { options in
            try PostgresBrokerStore(options: options).close()
            let log = LeaseEventLog()
            let a = try log.lease("broker-a", options, timings)
            let b = try log.lease("broker-b", options, timings)
            try body(options, log, a, b)
        }
    }

    /// Polls `condition` until it holds or `seconds` pass (bounded waits for state kept by other threads).
    private func eventually(seconds: Double = 30, _ condition: () throws -> Bool) rethrows -> Bool {
        let deadline = Date(timeIntervalSinceNow: seconds)
        while Date() < deadline {
            if try condition() { return true }
            Thread.sleep(forTimeInterval: 0.02)
        }
        return try condition()
    }

    /// One write transaction as the store makes it: BEGIN, the fence, the write, COMMIT.
    private func fencedInsert(_ session: PostgresSession, epoch: Int64, node: String) throws {
        try session.transaction {
            try PostgresFence.check(session, leaseEpoch: epoch)
            try session.query("INSERT INTO node_overrides (node) VALUES (\(node))")
        }
    }

    private func nodes(_ session: PostgresSession) throws -> [String] {
        try session.query("SELECT node FROM node_overrides ORDER BY node").rows.map { try $0.decode(String.self) }
    }
}

/// The events of several leases, in the order their threads reported them.
final class LeaseEventLog: @unchecked Sendable {
    enum Entry: Hashable, CustomStringConvertible {
        case became(String, Int64)
        case stopped(String, Int64, LeaseClock.StopReason)

        var description: String {
            switch self {
            case .became(let name, let epoch): "\(name) became active (\(epoch))"
            case .stopped(let name, let epoch, let reason): "\(name) stopped (\(epoch), \(reason.rawValue))"
            }
        }
    }

    private let condition = NSCondition()
    private var recorded: [Entry] = []

    func lease(_ name: String, _ options: PostgresStoreOptions, _ timings: LeaseTimings) throws -> PostgresLease {
        try PostgresLease(
            options: options, holder: name, endpoint: "tcp://\(name):5570", timings: timings,
            onBecameActive: { self.append(.became(name, $0)) },
            onStoppedBeingActive: { self.append(.stopped(name, $0, $1)) })
    }

    var entries: [Entry] {
        condition.lock()
        defer { condition.unlock() }
        return recorded
    }

    /// Waits (bounded) until `predicate` holds for the entries; false if it never did.
    func wait(seconds: Double = 30, until predicate: ([Entry]) -> Bool) -> Bool {
        let deadline = Date(timeIntervalSinceNow: seconds)
        condition.lock()
        defer { condition.unlock() }
        while !predicate(recorded) {
            if !condition.wait(until: deadline) { return predicate(recorded) }
        }
        return true
    }

    private func append(_ entry: Entry) {
        condition.lock()
        recorded.append(entry)
        condition.broadcast()
        condition.unlock()
    }
}

/// A value set once by another thread.
final class TakeoverOutcome<T: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: Result<T, any Error>?

    func set(_ value: Result<T, any Error>) {
        lock.lock()
        stored = value
        lock.unlock()
    }

    var value: Result<T, any Error>? {
        lock.lock()
        defer { lock.unlock() }
        return stored
    }
}
