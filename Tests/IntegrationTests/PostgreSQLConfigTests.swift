import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

extension DaemonSuite {
    /// `store.backend` `postgresql` in referrald.json (docs/POSTGRES-PLAN.md §8), with the real `referrald`: every
    /// file it names is checked before anything is created, each refusal is exit 78 naming its key, and the
    /// password is in no output. A configuration that passes every check is accepted by `check-config`, and `run`
    /// names the database it cannot reach (exit 69).
    @Suite("PostgreSQL store configuration")
    struct PostgreSQLConfigTests {
        static let password = "made-up-pg-password-7731"
        static let store = #"""
            {"backend": "postgresql",
             "postgresql": {"hosts": ["127.0.0.1:1"], "tls": "disable", "password_file": "pg-password"},
             "lease": {"ttl_ms": 3000, "renew_ms": 1000, "standby_poll_ms": 500}}
            """#

        /// Rewrites the `store.postgresql` object of the daemon's configuration with `change`.
        func editDatabase(_ h: Harness, _ change: (inout [String: Any]) -> Void) throws {
            let url = URL(fileURLWithPath: h.daemon.configPath)
            var config = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
            var store = try #require(config["store"] as? [String: Any])
            var database = try #require(store["postgresql"] as? [String: Any])
            change(&database)
            store["postgresql"] = database
            config["store"] = store
            try JSONSerialization.data(withJSONObject: config, options: [.sortedKeys]).write(to: url)
        }

        @Test func eachRefusalIsExit78NamingItsKeyAndThePasswordIsNeverShown() async throws {
            var options = DaemonOptions()
            options.store = Self.store
            try await withDaemon(options, start: false) { h in
                let passwordFile = h.directory + "/pg-password"
                try Data("\(Self.password)\n".utf8).write(to: URL(fileURLWithPath: passwordFile))
                let check = ["check-config", "--config", h.daemon.configPath]
                func refused(_ key: String, _ words: String = "") async throws {
                    for (command, result) in [
                        ("run", try await h.daemon.startExpectingRefusal()),
                        ("check-config", try await h.daemon.runOnce(check)),
                    ] {
                        h.expect(result.status == 78, "\(command) exited \(result.status), not 78:\n\(result.output)")
                        h.expect(result.output.contains(key), "\(command) does not name \(key):\n\(result.output)")
                        h.expect(result.output.contains(words), "\(command) does not say '\(words)':\n\(result.output)")
                        h.expect(
                            !result.output.contains(Self.password), "\(command) shows the password:\n\(result.output)")
                    }
                    h.expect(
                        !FileManager.default.fileExists(atPath: h.daemon.dataDirectory),
                        "run created the data directory for a configuration it refused")
                }

                // A password file its group can read.
                try h.require(chmod(passwordFile, 0o640) == 0, "cannot chmod the password file")
                try await refused("store.postgresql.password_file", "chmod 600 \(passwordFile)")
                try h.require(chmod(passwordFile, 0o600) == 0, "cannot chmod the password file")

                // Every file is right: check-config accepts it; run names the database it cannot reach (nothing
                // listens on port 1), exit 69, and creates nothing.
                let accepted = try await h.daemon.runOnce(check)
                h.expect(accepted.status == 0, "check-config exited \(accepted.status):\n\(accepted.output)")
                let unreachable = try await h.daemon.startExpectingRefusal()
                h.expect(unreachable.status == 69, "run exited \(unreachable.status), not 69:\n\(unreachable.output)")
                h.expect(
                    unreachable.output.contains("127.0.0.1:1"), "run does not name the host:\n\(unreachable.output)")
                h.expect(!unreachable.output.contains(Self.password), "run shows the password")

                // print-config shows the store, the password file by its path, never the password.
                let printed = try await h.daemon.runOnce(["print-config", "--config", h.daemon.configPath])
                h.expect(printed.status == 0, "print-config exited \(printed.status):\n\(printed.output)")
                h.expect(printed.output.contains(#""password_file": "\#(passwordFile)""#), "\(printed.output)")
                h.expect(!printed.output.contains(Self.password), "print-config shows the password")

                // The password written into the configuration file: refused, the value not quoted.
                try editDatabase(h) { $0["password"] = Self.password }
                try await refused("store.postgresql.password", "REFERRALD_PG_PASSWORD")
                let printing = try await h.daemon.runOnce(["print-config", "--config", h.daemon.configPath])
                h.expect(printing.status == 78 && !printing.output.contains(Self.password), "\(printing.output)")

                // Plaintext to a database on another machine.
                try editDatabase(h) {
                    $0["password"] = nil
                    $0["hosts"] = ["127.0.0.1:1", "db2.example.org:5432"]
                }
                try await refused("store.postgresql.tls", "db2.example.org:5432")

                // A commit level that could lose an acknowledged message.
                try editDatabase(h) {
                    $0["hosts"] = ["127.0.0.1:1"]
                    $0["synchronous_commit"] = "local"
                }
                try await refused("store.postgresql.synchronous_commit", "lost")
            }
        }

        /// `accept-rollback` repairs an SQLite store only; with PostgreSQL it refuses (78) and touches nothing.
        @Test func acceptRollbackRefusesAPostgreSQLStore() async throws {
            var options = DaemonOptions()
            options.store = Self.store
            try await withDaemon(options, start: false) { h in
                let result = try await h.daemon.runOnce(["accept-rollback", "--config", h.daemon.configPath])
                h.expect(result.status == 78, "accept-rollback exited \(result.status):\n\(result.output)")
                h.expect(result.output.contains("store.backend"), "it does not name store.backend:\n\(result.output)")
                h.expect(
                    !FileManager.default.fileExists(atPath: h.daemon.dataDirectory), "it created the data directory")
            }
        }
    }
}
