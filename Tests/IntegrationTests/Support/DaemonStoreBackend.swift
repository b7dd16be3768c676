import Foundation

/// `REFERRAL_TEST_DAEMON_STORE=postgresql`: every daemon a test starts without a `store` of its own keeps its
/// state in a fresh database of the cluster at `REFERRAL_TEST_PG_URL` instead of SQLite in its data directory, so
/// the same end-to-end tests run against both backends (`scripts/test` runs a chosen set of suites this way; the
/// whole suite: `REFERRAL_TEST_DAEMON_STORE=postgresql swift test --filter IntegrationTests`). The database is
/// made when the daemon's configuration is written and dropped when the test cleans up.
enum DaemonStoreBackend {
    static var usesPostgreSQL: Bool {
        ProcessInfo.processInfo.environment["REFERRAL_TEST_DAEMON_STORE"] == "postgresql"
    }

    /// Whether a PostgreSQL cluster is there for the tests that always need one (they are skipped otherwise).
    static var clusterAvailable: Bool {
        !(ProcessInfo.processInfo.environment["REFERRAL_TEST_PG_URL"] ?? "").isEmpty
    }

    /// A fresh database and the `store` object that points a daemon at it; nil when the tests use SQLite (and
    /// `force` does not ask for PostgreSQL anyway).
    static func makeDatabase(force: Bool = false) throws -> (name: String, store: [String: Any])? {
        guard usesPostgreSQL || force else { return nil }
        guard let url = ProcessInfo.processInfo.environment["REFERRAL_TEST_PG_URL"], let server = server(of: url)
        else {
            throw DaemonStoreBackendError(
                "REFERRAL_TEST_DAEMON_STORE=postgresql needs REFERRAL_TEST_PG_URL (postgresql://user@host:port/db)")
        }
        let name = "d_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        try psql(url, "CREATE DATABASE \(name)")
        let store: [String: Any] = [
            "backend": "postgresql",
            "postgresql": [
                "hosts": [server.hostPort], "database": name, "user": server.user, "tls": "disable",
            ],
        ]
        return (name, store)
    }

    static func dropDatabase(_ name: String) {
        guard let url = ProcessInfo.processInfo.environment["REFERRAL_TEST_PG_URL"] else { return }
        try? psql(url, "DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
    }

    /// `user` and `host:port` of `postgresql://user@host:port/database`.
    static func server(of url: String) -> (user: String, hostPort: String)? {
        guard let components = URLComponents(string: url), let user = components.user, let host = components.host
        else { return nil }
        return (user, "\(host):\(components.port ?? 5432)")
    }

    private static func psql(_ url: String, _ sql: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["psql", "-X", "-w", "-q", "-v", "ON_ERROR_STOP=1", "-d", url, "-c", sql]
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw DaemonStoreBackendError("psql exited \(process.terminationStatus) for: \(sql)")
        }
    }
}

struct DaemonStoreBackendError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
