import Foundation
import ReferralClient
import ReferralProtocol
import Testing

extension DaemonSuite {
    @Suite("The hash-chained audit trail")
    struct AuditTrailTests {
        /// After real traffic `referralctl audit verify` says the chain is intact (exit 0). Then, with the daemon
        /// stopped, one record is altered by hand in its store, SQLite file or PostgreSQL database (the append-only
        /// trigger refuses first; it has to be dropped or disabled); after a restart `referralctl audit verify`
        /// exits 5 and names that record.
        @Test func alteredRecordIsDetected() async throws {
            try await withDaemon { h in
                let a = try h.node("test-a")
                let b = try h.node("test-b")
                let id = "test-a:audit-000001"
                try await a.send(Made.message(id, to: ["test-b"], caseId: Made.caseId()))
                let received = try await b.receive(count: 1)
                try h.require(received.map(\.id) == [id], "test-b received \(received.map(\.id))")
                _ = try await a.waitForReceipts(of: id, count: 1, timeout: .seconds(20))

                let intact = try await h.referralctl(["audit", "verify", "--admin", h.daemon.admin])
                h.expect(
                    intact.status == 0 && intact.stdout.contains("intact"),
                    "referralctl audit verify on an untouched chain: exit \(intact.status): \(intact.stdout) \(intact.stderr)"
                )

                // Payloads never reach the audit trail.
                let records = try await h.auditRecords()
                h.expect(
                    !records.contains { "\($0)".contains("synthetic test payload") }, "an audit record holds the body")
                let accepted = try h.unwrap(
                    records.first { $0["event"] as? String == "accepted" && $0["message_id"] as? String == id },
                    "no accepted audit record for \(id)")
                let target = try h.unwrap(accepted["id"] as? Int, "the accepted record has no id")
                try h.require(
                    records.contains { ($0["id"] as? Int ?? 0) > target }, "no record follows record \(target)")

                await h.stop(a)
                await h.stop(b)
                let stopped = try await h.daemon.terminate()
                try h.require(stopped == 0, "referrald did not stop cleanly: \(stopped.map(String.init) ?? "none")")

                let edit = "UPDATE audit SET detail = 'altered by hand' WHERE id = \(target);"
                let guarded: (status: Int32, output: String)
                let tampered: (status: Int32, output: String)
                if let database = h.daemon.postgresDatabase {
                    // The store on PostgreSQL (REFERRAL_TEST_DAEMON_STORE=postgresql): the same edit by its owner.
                    guarded = try await runPostgreSQL(database: database, edit)
                    tampered = try await runPostgreSQL(
                        database: database, "ALTER TABLE audit DISABLE TRIGGER audit_append_only; " + edit)
                } else {
                    let database = h.daemon.dataDirectory + "/broker.sqlite"
                    guarded = try await runSQL(database: database, edit)
                    tampered = try await runSQL(
                        database: database, "DROP TRIGGER audit_no_update; DROP TRIGGER audit_no_delete; " + edit)
                }
                h.expect(
                    guarded.status != 0 && guarded.output.contains("append-only"),
                    "the UPDATE was not refused by the trigger: \(guarded)")
                try h.require(tampered.status == 0, "the hand edit failed: \(tampered)")

                try await h.daemon.start()
                let broken = try await h.referralctl(["audit", "verify", "--admin", h.daemon.admin])
                h.expect(broken.status == 5, "referralctl audit verify exited \(broken.status), expected 5: \(broken)")
                h.expect(
                    broken.stdout.contains("record \(target)"),
                    "referralctl audit verify does not name record \(target): \(broken.stdout)")
                let reply = try await h.admin("AUDIT-VERIFY")
                h.expect(
                    reply.object["intact"] as? Bool == false && reply.object["at_id"] as? Int == target,
                    "AUDIT-VERIFY answered \(reply.object)")
            }
        }
    }
}

/// Runs SQL on an SQLite file outside the daemon: with the sqlite3 command if the machine has it, else with
/// python3's sqlite3 module. Returns the exit status and the combined output.
func runSQL(database: String, _ sql: String) async throws -> (status: Int32, output: String) {
    let process = Process()
    if FileManager.default.isExecutableFile(atPath: "/usr/bin/sqlite3") {
        process.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
        process.arguments = ["-bail", database, sql]
    } else {
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            "python3", "-c",
            "import sqlite3, sys\nc = sqlite3.connect(sys.argv[1])\nc.executescript(sys.argv[2])\nc.commit()\nc.close()",
            database, sql,
        ]
    }
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    process.standardInput = FileHandle.nullDevice
    try process.run()
    let deadline = ContinuousClock.now + .seconds(20)
    while process.isRunning {
        guard ContinuousClock.now < deadline else {
            process.terminate()
            throw HarnessError("\(process.executableURL?.path ?? "sqlite") did not finish within 20 s")
        }
        try await Task.sleep(for: .milliseconds(10))
    }
    let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    return (process.terminationStatus, output)
}

/// Runs SQL with psql on `database` of the cluster at REFERRAL_TEST_PG_URL, as that URL's role (the store's owner
/// in the tests). Returns the exit status and the combined output (rows unaligned, without headers).
func runPostgreSQL(database: String, _ sql: String) async throws -> (status: Int32, output: String) {
    guard let url = ProcessInfo.processInfo.environment["REFERRAL_TEST_PG_URL"],
        let server = DaemonStoreBackend.server(of: url)
    else { throw HarnessError("REFERRAL_TEST_PG_URL is not a postgresql:// URL") }
    return try await Tool.run(
        "/usr/bin/env",
        [
            "psql", "-X", "-w", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d",
            "postgresql://\(server.user)@\(server.hostPort)/\(database)",
            "-c", sql,
        ],
        seconds: 20)
}
