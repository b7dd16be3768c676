import Foundation
import GRDB
import ReferralClient
import ReferralProtocol
import Testing

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

extension DaemonSuite {
    /// `referrald` refuses to start on what it must not run on, each class of failure with its own documented exit
    /// code (deploy/README.md) and a message that names the file and the fix, before creating anything (issue 8).
    @Suite("Start-up refusals")
    struct StartupRefusalTests {
        /// A second broker on the same data directory (another endpoint) is refused at once (exit 75), naming
        /// the lock; the first one goes on accepting.
        @Test func aSecondBrokerOnTheSameStoreIsRefused() async throws {
            try await withDaemon { h in
                let a = try h.node("test-a")
                _ = try await a.send(Made.message("test-a:lock-000001", to: ["test-b"]))
                try h.require(try await a.acceptedSeqs(["test-a:lock-000001"]).count == 1, "first SEND not accepted")
                let started = ContinuousClock.now
                let (status, output) = try await h.daemon.runOnce([
                    "run", "--config", h.daemon.configPath, "--endpoint", "tcp://127.0.0.1:0",
                    "--data-directory", h.daemon.dataDirectory, "--admin-endpoint", "ipc://\(h.directory)/admin2.sock",
                    "--ready-file", "\(h.directory)/ready2.json", "--log-format", "text",
                ])
                h.expect(status == 75, "the second broker exited \(status), not 75:\n\(output)")
                h.expect(output.contains("broker.sqlite.lock"), "the refusal does not name the lock file:\n\(output)")
                h.expect(ContinuousClock.now - started < .seconds(5), "the refusal took \(ContinuousClock.now - started)")
                h.expect(!FileManager.default.fileExists(atPath: "\(h.directory)/ready2.json"), "it got ready")
                _ = try await a.send(Made.message("test-a:lock-000002", to: ["test-b"]))
                h.expect(
                    try await a.acceptedSeqs(["test-a:lock-000002"], timeout: .seconds(5)).count == 1,
                    "the first broker stopped accepting")
            }
        }

        /// Not a directory, not a database, a foreign or newer database: each its exit code, each message naming the
        /// file; foreign and newer files are left unchanged.
        @Test func storeFailuresHaveTheirOwnExitCodes() async throws {
            try await withDaemon(start: false) { h in
                let data = h.daemon.dataDirectory
                let store = data + "/broker.sqlite"
                func refusal(_ expected: Int32, _ words: String) async throws {
                    let (status, output) = try await h.daemon.startExpectingRefusal()
                    h.expect(status == expected, "exited \(status), not \(expected):\n\(output)")
                    h.expect(output.contains(words), "the message does not say '\(words)':\n\(output)")
                    h.expect(!output.contains("NSCocoaErrorDomain"), "a Foundation error dump:\n\(output)")
                }
                func reset() throws {
                    try? FileManager.default.removeItem(atPath: data)
                    try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
                }

                try Data("not a folder".utf8).write(to: URL(fileURLWithPath: data))
                try await refusal(73, "\(data) is not a directory")

                try reset()
                try Data((0..<8_192).map { UInt8(truncatingIfNeeded: $0 &* 7919) }).write(to: URL(fileURLWithPath: store))
                try await refusal(65, "\(store) is not an SQLite database")

                try reset()
                try runSQL(store, "CREATE TABLE recipes (name TEXT); INSERT INTO recipes VALUES ('x')")
                let before = FileManager.default.contents(atPath: store)
                try await refusal(79, "\(store) is not a store this broker can use")
                h.expect(FileManager.default.contents(atPath: store) == before, "the foreign file was changed")

                try reset()
                try await h.daemon.start()
                try await h.daemon.kill9()
                try runSQL(store, "PRAGMA user_version = 999")
                try await refusal(80, "newer version")
                try await refusal(80, "schema 999")
            }
        }

        /// A store on a file system mounted read-only: exit 77, naming the folder and the fix. Needs a tmpfs of its
        /// own, so it runs only where the test may mount one (root); elsewhere it does nothing.
        @Test func aReadOnlyStoreIsRefused() async throws {
            try await withDaemon(start: false) { h in
                let mountPoint = h.directory + "/ro"
                try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
                guard try await h.daemon.command("/usr/bin/mount", ["-t", "tmpfs", "-o", "size=4m", "tmpfs", mountPoint])
                else { return }
                do {
                    try await refuseReadOnly(h, mountPoint: mountPoint)
                } catch {
                    _ = try await h.daemon.command("/usr/bin/umount", [mountPoint])
                    throw error
                }
                _ = try await h.daemon.command("/usr/bin/umount", [mountPoint])
            }
        }

        private func refuseReadOnly(_ h: Harness, mountPoint: String) async throws {
            let data = mountPoint + "/data"
            let run = [
                "run", "--config", h.daemon.configPath, "--endpoint", "tcp://127.0.0.1:0", "--data-directory", data,
                "--admin-endpoint", "ipc://\(h.directory)/admin-ro.sock", "--ready-file", "\(h.directory)/ready-ro.json",
            ]
            // The data directory cannot be created.
            try h.require(try await h.daemon.command("/usr/bin/mount", ["-o", "remount,ro", mountPoint]), "remount ro")
            var (status, output) = try await h.daemon.runOnce(run)
            h.expect(status == 77, "exited \(status) on a read-only file system, not 77:\n\(output)")
            h.expect(output.contains("\(mountPoint) is not writable"), "the message does not name the folder:\n\(output)")
            // The data directory exists, on a file system mounted read-only since.
            try h.require(try await h.daemon.command("/usr/bin/mount", ["-o", "remount,rw", mountPoint]), "remount rw")
            try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
            try h.require(try await h.daemon.command("/usr/bin/mount", ["-o", "remount,ro", mountPoint]), "remount ro")
            (status, output) = try await h.daemon.runOnce(run)
            h.expect(status == 77, "exited \(status) with a read-only data directory, not 77:\n\(output)")
            h.expect(output.contains("remount it read-write"), "the message does not say the fix:\n\(output)")
        }

        /// A configuration whose files `run` would refuse: `check-config` says so with 78, and so does `run`,
        /// which creates nothing (no data directory, no store).
        @Test func checkConfigLoadsWhatRunLoadsAndRunCreatesNothing() async throws {
            var options = DaemonOptions()
            options.escalationPolicy = #"{"version": 1, "levels": {"nonsense": 3}}"#
            try await withDaemon(options, start: false) { h in
                let check = ["check-config", "--config", h.daemon.configPath]
                var (status, output) = try await h.daemon.runOnce(check)
                h.expect(status == 78, "check-config exited \(status) on a broken escalation policy:\n\(output)")
                h.expect(output.contains("escalation_policy_file"), "check-config does not name the file:\n\(output)")
                (status, output) = try await h.daemon.startExpectingRefusal()
                h.expect(status == 78, "run exited \(status) on a broken escalation policy:\n\(output)")

                try Data(#"{"version": 1}"#.utf8).write(to: URL(fileURLWithPath: h.daemon.escalationPolicyPath))
                try h.daemon.writeDirectory(object: ["version": 1, "nodes": [["id": "test-a"]]])
                (status, output) = try await h.daemon.runOnce(check)
                h.expect(status == 78, "check-config exited \(status) on a broken directory:\n\(output)")
                (status, output) = try await h.daemon.startExpectingRefusal()
                h.expect(status == 78, "run exited \(status) on a broken directory:\n\(output)")
                h.expect(
                    !FileManager.default.fileExists(atPath: h.daemon.dataDirectory),
                    "run created the data directory for a configuration it refused")

                try h.daemon.writeDirectory(TestNode.standard)
                try h.require(chmod(h.daemon.secretKeyPath("broker"), 0o640) == 0, "cannot chmod the key")
                (status, output) = try await h.daemon.runOnce(check)
                h.expect(status == 78, "check-config exited \(status) on a group-readable key:\n\(output)")
                (status, output) = try await h.daemon.startExpectingRefusal()
                h.expect(status == 78, "run exited \(status) on a group-readable key:\n\(output)")
                h.expect(output.contains("chmod 600"), "the refusal does not say chmod 600:\n\(output)")
                h.expect(
                    !FileManager.default.fileExists(atPath: h.daemon.dataDirectory + "/broker.sqlite"),
                    "run created the store for a configuration it refused")

                let key = h.daemon.secretKeyPath("broker")
                try h.require(rename(key, key + ".moved") == 0, "cannot move the key")
                (status, output) = try await h.daemon.runOnce(check)
                h.expect(status == 78 && output.contains("referralctl keygen"), "check-config, key missing:\n\(output)")
                (status, output) = try await h.daemon.startExpectingRefusal()
                h.expect(status == 78 && output.contains("\(key) does not exist"), "run, key missing:\n\(output)")
                try h.require(rename(key + ".moved", key) == 0, "cannot move the key back")

                try h.require(chmod(key, 0o600) == 0, "cannot chmod the key")
                (status, output) = try await h.daemon.runOnce(check)
                h.expect(status == 0, "check-config exited \(status) on a good configuration:\n\(output)")
            }
        }

        /// kill -9, then the `-wal` file deleted (what a careless copy does): the broker refuses to start (exit 81)
        /// instead of forgetting what it acknowledged; `referrald accept-rollback` records the loss, and the
        /// broker starts again without giving a lost seq twice.
        @Test func aStoreThatLostItsWALIsRefused() async throws {
            try await withDaemon { h in
                let a = try h.node("test-a")
                _ = try await a.send(Made.message("test-a:wal-000000", to: ["test-b"]))
                try h.require(try await a.acceptedSeqs(["test-a:wal-000000"]).count == 1, "first SEND not accepted")
                // A clean stop checkpoints the first message into the main file.
                h.expect(try await h.daemon.terminate() == 0, "the broker did not stop cleanly")
                try await h.daemon.start()
                let before = try await storeEpoch(h)
                let ids = (1...40).map { String(format: "test-a:wal-%06d", $0) }
                try await a.send(batch: ids.map { Made.message($0, to: ["test-b"]) })
                let seqs = try await a.acceptedSeqs(ids)
                try h.require(seqs.count == ids.count, "accepted \(seqs.count) of \(ids.count)")
                try await h.daemon.kill9()
                try FileManager.default.removeItem(atPath: h.daemon.dataDirectory + "/broker.sqlite-wal")

                let (status, output) = try await h.daemon.startExpectingRefusal()
                h.expect(status == 81, "exited \(status), not 81:\n\(output)")
                h.expect(output.contains("went back in time"), "the refusal does not say what happened:\n\(output)")
                h.expect(output.contains("accept-rollback"), "the refusal does not name the recovery:\n\(output)")

                let accepted = try await h.daemon.runOnce(["accept-rollback", "--config", h.daemon.configPath])
                h.expect(accepted.status == 0, "accept-rollback exited \(accepted.status):\n\(accepted.output)")
                h.expect(accepted.output.contains("seq \(seqs.values.max() ?? 0)"), "it does not say what was lost:\n\(accepted.output)")
                try await h.daemon.start()
                // WELCOME says the store changed (1/RBP §7.2).
                let after = try await storeEpoch(h)
                h.expect(before.count == 32 && after.count == 32 && before != after, "store epochs \(before), \(after)")
                _ = try await a.send(Made.message("test-a:wal-000041", to: ["test-b"]))
                let next = try await a.acceptedSeqs(["test-a:wal-000041"])
                h.expect(
                    (next["test-a:wal-000041"] ?? 0) > (seqs.values.max() ?? .max),
                    "a seq was given again: \(next) after \(seqs.values.max() ?? 0)")
            }
        }

        /// An audit record edited while the broker was stopped: the broker starts, but says so loudly at start.
        @Test func aTamperedAuditTailIsReportedAtStart() async throws {
            try await withDaemon { h in
                let a = try h.node("test-a")
                _ = try await a.send(Made.message("test-a:audit-000001", to: ["test-b"]))
                try h.require(try await a.acceptedSeqs(["test-a:audit-000001"]).count == 1, "SEND not accepted")
                h.expect(try await h.daemon.terminate() == 0, "the broker did not stop cleanly")
                try runSQL(
                    h.daemon.dataDirectory + "/broker.sqlite",
                    """
                    DROP TRIGGER audit_no_update;
                    UPDATE audit SET detail = 'edited' WHERE id = (SELECT max(id) FROM audit);
                    """)
                try await h.daemon.start()
                h.expect(
                    h.daemon.stderrTail().contains("audit chain's tail does not verify"),
                    "no warning about the edited audit record:\n\(h.daemon.stderrTail())")
            }
        }
    }
}

/// The `store` epoch of a WELCOME (of test-c, a node the test does not otherwise use).
private func storeEpoch(_ h: Harness) async throws -> String {
    let raw = try h.raw("test-c")
    defer { raw.close() }
    return try await raw.hello("test-c").store ?? ""
}

/// What an operator's sqlite3 shell (or another program) does to a file: `sql` through a connection of its own.
private func runSQL(_ path: String, _ sql: String) throws {
    let queue = try DatabaseQueue(path: path)
    defer { try? queue.close() }
    try queue.writeWithoutTransaction { try $0.execute(sql: sql) }
}
