import Foundation
import ReferralClient
import ReferralProtocol
import Testing

extension DaemonSuite {
    @Suite("retention: purging old bodies")
    struct RetentionTests {
        /// Bodies of closed cases are kept 1 ms in this broker, case-less ones and dead letters forever, and the
        /// timer waits a day (the purge is asked for). test-a refers a (made-up) child to test-b and withdraws the
        /// referral (the case is cancelled), opens a second referral and sends a case-less note; test-b takes all
        /// four. `referralctl purge --yes` purges the two bodies of the cancelled case and no other; their trail
        /// stays with `body-purged`, `audit verify` passes, the audit trail has one `bodies-purged` record with
        /// the counts and the operator, STATUS shows the run, and the store file no longer holds those bodies.
        @Test func purgeRemovesTheBodiesOfAClosedCaseAndKeepsItsTrail() async throws {
            var options = DaemonOptions()
            options.retention = [
                "closed_case_body_ms": 1, "caseless_body_ms": 0, "dead_letter_body_ms": 0,
                "purge_interval_ms": 86_400_000,
            ]
            try await withDaemon(options) { h in
                let a = try h.node("test-a")
                let b = try h.node("test-b")
                let closed = Made.caseId()
                let open = Made.caseId()
                let sent: [(String, String, String?, String)] = [
                    ("test-a:ret-1", "referral.request", closed, "MADE-UP-CLOSED-BODY-ONE"),
                    ("test-a:ret-2", "referral.cancelled", closed, "MADE-UP-CLOSED-BODY-TWO"),
                    ("test-a:ret-3", "referral.request", open, "MADE-UP-OPEN-CASE-BODY"),
                    ("test-a:ret-4", Made.kind, nil, "MADE-UP-CASELESS-BODY"),
                ]
                for (id, kind, caseId, marker) in sent {
                    try await a.send(
                        OutgoingMessage(
                            id: id, to: ["test-b"], kind: kind, caseId: caseId, body: Array(marker.utf8),
                            validatesBody: false))
                    try h.require(try await a.acceptedSeqs([id]).count == 1, "\(id) was not accepted")
                }
                try h.require(try await b.receive(count: 4).count == 4, "test-b did not receive all four")
                try await waitUntilAcked(h, caseId: closed, count: 2)

                // Without --yes and without a terminal to confirm on, nothing is asked of the broker.
                let unconfirmed = try await h.referralctl(["purge", "--operator", "test-op", "--admin", h.daemon.admin])
                h.expect(
                    unconfirmed.status == 9 && unconfirmed.stderr.contains("pass --yes"),
                    "purge without --yes: exit \(unconfirmed.status): \(unconfirmed.stderr)")
                h.expect(try await h.status()["last_purge"] == nil, "purge without --yes purged")

                let purged = try await h.referralctl(
                    ["purge", "--yes", "--operator", "test-op", "--admin", h.daemon.admin])
                try h.require(purged.status == 0, "referralctl purge exited \(purged.status): \(purged.stderr)")
                h.expect(
                    purged.stdout.contains("purged: closed cases 2, without a case 0, dead letters 0"),
                    "referralctl purge printed \(purged.stdout)")

                let trail = try await h.admin("TRAIL", arguments: "{\"case\":\"\(closed)\"}")
                let events = (trail.object["events"] as? [[String: Any]] ?? []).compactMap { $0["event"] as? String }
                h.expect(events.filter { $0 == "body-purged" }.count == 2, "the closed case's trail: \(events)")
                h.expect(events.filter { $0 == "accepted" || $0 == "acked" }.count == 4, "trail lost: \(events)")
                let openTrail = try await h.admin("TRAIL", arguments: "{\"case\":\"\(open)\"}")
                h.expect(
                    !String(decoding: openTrail.json, as: UTF8.self).contains("body-purged"),
                    "the open case's body was purged")

                let verified = try await h.referralctl(["audit", "verify", "--admin", h.daemon.admin])
                h.expect(
                    verified.status == 0, "audit verify after the purge: exit \(verified.status) \(verified.stdout)")
                let records = try await h.auditRecords().filter { $0["event"] as? String == "bodies-purged" }
                h.expect(
                    records.map { $0["detail"] as? String } == [
                        "closed_case=2 caseless=0 dead_letters=0 operator=test-op"
                    ],
                    "bodies-purged records: \(records)")
                let lastPurge = try await h.status()["last_purge"] as? [String: Any]
                h.expect(lastPurge?["closed_case"] as? Int == 2, "STATUS last_purge: \(String(describing: lastPurge))")

                await h.stop(a)
                await h.stop(b)
                try h.require(try await h.daemon.terminate() == 0, "referrald did not stop cleanly")
                if let database = h.daemon.postgresDatabase {
                    // On PostgreSQL the purged body is NULL in its row (the old row versions and the WAL keep the
                    // bytes until vacuum and WAL recycling: docs/POSTGRESQL.md, "Backup and retention").
                    for (id, _, _, marker) in sent {
                        let query = try await runPostgreSQL(
                            database: database,
                            "SELECT count(*) FROM messages WHERE message_id = '\(id)' AND body IS NOT NULL")
                        let found = query.output.trimmingCharacters(in: .whitespacesAndNewlines) == "1"
                        h.expect(
                            query.status == 0 && found == !marker.contains("CLOSED"),
                            "\(id)'s body in the store's row: \(query)")
                    }
                } else {
                    let store = h.daemon.dataDirectory + "/broker.sqlite"
                    var bytes = try Data(contentsOf: URL(fileURLWithPath: store))
                    if let wal = try? Data(contentsOf: URL(fileURLWithPath: store + "-wal")) { bytes.append(wal) }
                    for (id, _, _, marker) in sent {
                        let found = bytes.range(of: Data(marker.utf8)) != nil
                        h.expect(found == !marker.contains("CLOSED"), "\(id)'s body in the store file: \(found)")
                    }
                }
            }
        }

        /// The timer alone: closed-case bodies are kept 1 ms and a purge runs every 200 ms. A referral withdrawn
        /// at once has both bodies purged without anyone asking: its trail shows them purged, STATUS shows the run,
        /// and the audit trail has its record (no operator), with the chain intact.
        @Test func theTimerPurgesWithoutBeingAsked() async throws {
            var options = DaemonOptions()
            options.retention = ["closed_case_body_ms": 1, "purge_interval_ms": 200]
            try await withDaemon(options) { h in
                let a = try h.node("test-a")
                let b = try h.node("test-b")
                let caseId = Made.caseId()
                for (id, kind) in [("test-a:timer-1", "referral.request"), ("test-a:timer-2", "referral.cancelled")] {
                    try await a.send(
                        OutgoingMessage(
                            id: id, to: ["test-b"], kind: kind, caseId: caseId, body: Array("made-up \(id)".utf8),
                            validatesBody: false))
                }
                try h.require(
                    try await a.acceptedSeqs(["test-a:timer-1", "test-a:timer-2"]).count == 2, "not accepted")
                try h.require(try await b.receive(count: 2).count == 2, "test-b did not receive both")
                let deadline = ContinuousClock.now + .seconds(10)
                var purged = 0
                while purged < 2, ContinuousClock.now < deadline {
                    try await Task.sleep(for: .milliseconds(100))
                    let trail = try await h.admin("TRAIL", arguments: "{\"case\":\"\(caseId)\"}")
                    purged =
                        (trail.object["events"] as? [[String: Any]] ?? []).filter {
                            $0["event"] as? String == "body-purged"
                        }.count
                }
                h.expect(purged == 2, "the timer purged \(purged) of the case's 2 bodies in 10 s")
                let lastPurge = try await h.status()["last_purge"] as? [String: Any]
                h.expect(lastPurge != nil, "STATUS shows no purge run")
                let records = try await h.auditRecords().compactMap { record in
                    record["event"] as? String == "bodies-purged" ? record["detail"] as? String : nil
                }
                h.expect(
                    records.contains { $0.hasPrefix("closed_case=") && !$0.contains("operator=") },
                    "no bodies-purged record of the timer: \(records)")
                let verified = try await h.referralctl(["audit", "verify", "--admin", h.daemon.admin])
                h.expect(verified.status == 0, "audit verify: exit \(verified.status)")
                await h.stop(a)
                await h.stop(b)
            }
        }

        /// Waits (up to 10 s) until `count` deliveries of the case are acknowledged in the broker's store.
        func waitUntilAcked(_ h: Harness, caseId: String, count: Int) async throws {
            let deadline = ContinuousClock.now + .seconds(10)
            while ContinuousClock.now < deadline {
                let trail = try await h.admin("TRAIL", arguments: "{\"case\":\"\(caseId)\"}")
                let acked = (trail.object["events"] as? [[String: Any]] ?? []).filter {
                    $0["event"] as? String == "acked"
                }
                if acked.count >= count { return }
                try await Task.sleep(for: .milliseconds(50))
            }
            h.fail("the case's deliveries were not acknowledged in 10 s")
        }
    }
}
