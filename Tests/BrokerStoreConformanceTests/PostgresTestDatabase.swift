import BrokerStorePostgres
import Foundation

/// A fresh, empty database per test on the throwaway cluster `scripts/test` starts (`scripts/pg-test-cluster`),
/// whose URL is in `REFERRAL_TEST_PG_URL`. Databases are made and dropped through `psql` as the cluster's superuser
/// `postgres` (trust on loopback), owned by the URL's user, which the store connects as.
enum PostgresTestDatabase {
    /// The cluster's URL, nil when the PostgreSQL tests do not run here (the caller prints why).
    static var clusterURL: String? {
        guard let url = ProcessInfo.processInfo.environment["REFERRAL_TEST_PG_URL"], !url.isEmpty else { return nil }
        return url
    }

    static let skipNote =
        "PostgreSQL tests skipped: REFERRAL_TEST_PG_URL is not set (scripts/test starts a cluster and sets it)"

    /// Runs `body` with the options of a new empty database; drops it afterwards.
    static func with(_ body: (PostgresStoreOptions) throws -> Void) throws {
        guard let url = clusterURL, var options = PostgresStoreOptions(url: url), let host = options.hosts.first else {
            print(skipNote)
            return
        }
        let name = "t_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        let admin = "postgresql://postgres@\(host)/postgres"
        try psql(admin, "CREATE DATABASE \(name) OWNER \(options.user)")
        defer { try? psql(admin, "DROP DATABASE \(name) WITH (FORCE)") }
        options.database = name
        try body(options)
    }

    /// Runs one statement through `psql` as the superuser (tests only: made-up names, no data).
    static func psql(_ url: String, _ sql: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/psql")
        process.arguments = ["-X", "-q", "-v", "ON_ERROR_STOP=1", url, "-c", sql]
        try process.run()
        process.waitUntilExit()
        if process.terminationStatus != 0 {
            throw PostgresStoreError(
                operation: "test psql", cause: "psql exited \(process.terminationStatus)",
                kind: .statement)
        }
    }
}
