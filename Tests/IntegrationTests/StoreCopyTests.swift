import Foundation
import ReferralClient
import Testing

extension DaemonSuite {
    /// `referrald store copy` (issue 12): a county's broker ran on SQLite, is stopped, its store copied into a fresh
    /// PostgreSQL database, and started on PostgreSQL with the same configuration otherwise. Nodes see the same store
    /// (the same epoch in WELCOME), what was pending is delivered, what was acknowledged is not delivered again, new
    /// messages get seqs after the old ones and the audit chain verifies. The copy refuses a running broker, a
    /// database that already holds a store, and a missing SQLite file.
    @Suite("referrald store copy: SQLite to PostgreSQL")
    struct StoreCopyTests {
        static let skipNote =
            "REFERRAL_TEST_PG_URL is not set: the store copy test needs a PostgreSQL cluster (skipped)"

        @Test func aCountyMovesFromSQLiteToPostgreSQL() async throws {
            guard DaemonStoreBackend.clusterAvailable else {
                print(Self.skipNote)
                return
            }
            var options = DaemonOptions()
            options.store = #"{"backend": "sqlite"}"#
            // A referral request opens an answer deadline an hour ahead: nothing fires during the test.
            options.escalationPolicy = """
                {"version": 1, "levels": {
                 "routine": {"delivery": "off", "answer": "1h", "repeat": "1h", "max_steps": 3, "clock": "continuous"},
                 "crisis": {"delivery": "off", "answer": "1h", "repeat": "1h", "max_steps": 1, "clock": "continuous",
                            "fan_out": true}}}
                """
            try await withDaemon(options) { h in
                let a = try h.node("test-a")
                let b = try h.node("test-b")
                let delivered = (1...6).map { String(format: "test-a:copy-%06d", $0) }
                try await a.send(batch: delivered.map { Made.message($0, to: ["test-b"]) })
                let deliveredSeqs = try await a.acceptedSeqs(delivered)
                try h.require(deliveredSeqs.count == delivered.count, "accepted \(deliveredSeqs.count) of 6")
                let received = try await b.receive(count: delivered.count)
                h.expect(received.map(\.id).sorted() == delivered, "test-b received \(received.map(\.id))")
                try await h.eventually("test-b's deliveries and test-a's receipts are settled") {
                    let b = try await h.nodeStatus("test-b")
                    let a = try await h.nodeStatus("test-a")
                    return b["pending"] as? Int == 0 && b["in_flight"] as? Int == 0
                        && a["receipts_pending"] as? Int == 0
                }
                await h.stop(b)
                let caseId = Made.caseId()
                let pending = (7...10).map { String(format: "test-a:copy-%06d", $0) }
                // One of them a referral request: a case and its open answer deadline.
                try await a.send(
                    batch: pending.map { id in
                        id.hasSuffix("8")
                            ? OutgoingMessage(
                                id: id, to: ["test-b"], kind: "referral.request", caseId: caseId, body: Made.body(id),
                                validatesBody: false)
                            : Made.message(id, to: ["test-b"])
                    })
                let pendingSeqs = try await a.acceptedSeqs(pending)
                try h.require(pendingSeqs.count == pending.count, "accepted \(pendingSeqs.count) of 4")
                let epoch = try await storeEpoch(h)
                let caseBefore = try await h.caseInfo(caseId)
                h.expect(deadlines(caseBefore).count == 1, "open deadlines before the copy: \(caseBefore)")

                // The target: a fresh database named in the configuration. While the broker runs on its SQLite
                // store, the copy is refused (the store's lock), and nothing is written.
                let database = try h.unwrap(try DaemonStoreBackend.makeDatabase(force: true), "no database")
                defer { DaemonStoreBackend.dropDatabase(database.name) }
                try setStore(h, database.store)
                let sqlite = h.daemon.dataDirectory + "/broker.sqlite"
                let copy = ["store", "copy", "--config", h.daemon.configPath, "--from-sqlite", sqlite]
                let whileRunning = try await h.daemon.runOnce(copy)
                h.expect(whileRunning.status == 75, "exited \(whileRunning.status), not 75:\n\(whileRunning.output)")
                h.expect(
                    whileRunning.output.contains("another process has this store open"),
                    "the refusal does not say the broker runs:\n\(whileRunning.output)")

                h.expect(try await h.daemon.terminate() == 0, "the broker did not stop cleanly")
                let copied = try await h.daemon.runOnce(copy)
                try h.require(copied.status == 0, "store copy exited \(copied.status):\n\(copied.output)")
                print("store copy: \(copied.output)")
                h.expect(copied.output.contains("messages        10 rows"), "\(copied.output)")
                h.expect(copied.output.contains("deliveries      10 rows"), "\(copied.output)")
                h.expect(copied.output.contains("receipts        6 rows"), "\(copied.output)")
                h.expect(copied.output.contains("audit chain intact"), "\(copied.output)")
                h.expect(copied.output.contains("cases           1 rows"), "\(copied.output)")
                h.expect(copied.output.contains("deadlines       1 rows"), "\(copied.output)")
                h.expect(copied.output.contains("store epoch \(epoch) kept"), "\(copied.output)")
                h.expect(!copied.output.contains("synthetic test payload"), "the copy printed a body")

                // The broker on PostgreSQL: the same store to the nodes, the 4 pending deliveries and nothing else.
                try await h.daemon.start()
                h.expect(try await storeEpoch(h) == epoch, "the store epoch changed: nodes would resend")
                let caseAfter = try await h.caseInfo(caseId)
                h.expect(
                    caseAfter["status"] as? String == "requested" && deadlines(caseAfter) == deadlines(caseBefore),
                    "the case after the copy: \(caseAfter), before: \(caseBefore)")
                let backlog = try await h.nodeStatus("test-b")
                h.expect(backlog["pending"] as? Int == pending.count, "test-b's backlog after the copy: \(backlog)")
                let b2 = try h.node("test-b")
                let redelivered = try await b2.receive(count: pending.count)
                h.expect(
                    redelivered.map(\.id).sorted() == pending,
                    "test-b received \(redelivered.map(\.id)) after the copy")
                h.expect(
                    redelivered.allSatisfy { pendingSeqs[$0.id] == $0.seq },
                    "seqs \(redelivered.map(\.seq)), accepted as \(pendingSeqs)")
                try await h.eventually("test-b's backlog is delivered") {
                    let status = try await h.nodeStatus("test-b")
                    return status["pending"] as? Int == 0 && status["in_flight"] as? Int == 0
                }
                h.expect(try await b2.nextMessage(timeout: .zero) == nil, "test-b got more than its 4 pending messages")

                let next = "test-a:copy-000011"
                _ = try await a.send(Made.message(next, to: ["test-b"]))
                let nextSeq = try await a.acceptedSeqs([next])[next] ?? -1
                let highest = (Array(deliveredSeqs.values) + Array(pendingSeqs.values)).max() ?? .max
                h.expect(nextSeq > highest, "the new message got seq \(nextSeq), not after \(highest)")
                let verified = try await h.referralctl(["audit", "verify", "--admin", h.daemon.admin])
                h.expect(
                    verified.status == 0 && verified.stdout.contains("audit chain intact"),
                    "audit verify on PostgreSQL exited \(verified.status): \(verified.stdout)\(verified.stderr)")

                // A second copy into the database that now holds the store is refused, and changes nothing.
                h.expect(try await h.daemon.terminate() == 0, "the broker on PostgreSQL did not stop cleanly")
                let again = try await h.daemon.runOnce(copy)
                h.expect(again.status == 1, "a copy into a used database exited \(again.status):\n\(again.output)")
                h.expect(again.output.contains("already holds a broker store (messages: 11 rows"), "\(again.output)")
                try await h.daemon.start()
                h.expect(try await storeEpoch(h) == epoch, "the refused copy changed the store")
            }
        }

        /// Refusals before anything is opened: a missing SQLite file (exit 78 naming --from-sqlite), an SQLite
        /// configuration (exit 78 naming store.backend). `--help` teaches the command.
        @Test func refusalsNameTheFlagOrTheKey() async throws {
            var options = DaemonOptions()
            options.store = #"{"backend": "postgresql", "postgresql": {"hosts": ["127.0.0.1:1"], "tls": "disable"}}"#
            try await withDaemon(options, start: false) { h in
                let missing = h.directory + "/no-such/broker.sqlite"
                let result = try await h.daemon.runOnce(
                    ["store", "copy", "--config", h.daemon.configPath, "--from-sqlite", missing])
                h.expect(result.status == 78, "exited \(result.status), not 78:\n\(result.output)")
                h.expect(
                    result.output.contains("--from-sqlite") && result.output.contains("\(missing) does not exist"),
                    "\(result.output)")
                h.expect(!FileManager.default.fileExists(atPath: missing), "the copy created the SQLite file")

                try setStore(h, ["backend": "sqlite"])
                let sqliteTarget = try await h.daemon.runOnce(
                    ["store", "copy", "--config", h.daemon.configPath, "--from-sqlite", missing])
                h.expect(sqliteTarget.status == 78, "exited \(sqliteTarget.status):\n\(sqliteTarget.output)")
                h.expect(sqliteTarget.output.contains("store.backend"), "\(sqliteTarget.output)")

                let help = try await h.daemon.runOnce(["store", "copy", "--help"])
                h.expect(help.status == 0, "--help exited \(help.status)")
                for words in ["--from-sqlite", "one transaction", "store epoch", "Stop the broker first"] {
                    h.expect(help.output.contains(words), "--help does not say '\(words)':\n\(help.output)")
                }
            }
        }
    }
}

/// Replaces the `store` object of the daemon's configuration (the next `start()` and commands read it).
private func setStore(_ h: Harness, _ store: [String: Any]) throws {
    let url = URL(fileURLWithPath: h.daemon.configPath)
    guard var config = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any] else {
        throw HarnessError("cannot read \(h.daemon.configPath)")
    }
    config["store"] = store
    try JSONSerialization.data(withJSONObject: config, options: [.prettyPrinted, .sortedKeys]).write(to: url)
}

/// A case's open deadlines (`referralctl case --json`): item, due time, level and party of each.
private func deadlines(_ info: [String: Any]) -> [String] {
    (info["deadlines"] as? [[String: Any]] ?? []).map { deadline in
        ["item", "due_at", "level", "party"].map { "\(deadline[$0] ?? "none")" }.joined(separator: "|")
    }
}

/// The `store` epoch of a WELCOME (of test-c, a node the test does not otherwise use).
private func storeEpoch(_ h: Harness) async throws -> String {
    let raw = try h.raw("test-c")
    defer { raw.close() }
    return try await raw.hello("test-c").store ?? ""
}
