import Foundation
import ReferralProtocol

/// `--postgresql URL`: the broker of each scenario keeps its store in a fresh database of that cluster instead of
/// SQLite in its data directory. The database is made with `psql` as the URL's role (which needs CREATEDB) before
/// the broker starts, and dropped after it stopped.
struct PostgresDatabase: Sendable {
    /// `postgresql://user@host:port/database`: where to connect to make and drop the databases.
    let url: String
    let name: String
    let user: String
    let hostPort: String

    /// Makes a fresh database `rb_<scenario>_<random>` on the cluster at `url`.
    static func create(url: String, scenario: String) throws -> PostgresDatabase {
        guard let components = URLComponents(string: url), let user = components.user, let host = components.host
        else { throw BenchError("--postgresql: not a URL of the form postgresql://user@host:port/database: \(url)") }
        let suffix = UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(12)
        let safeScenario = scenario.map { $0.isLetter || $0.isNumber ? $0 : "_" }
        let name = "rb_" + String(safeScenario) + "_" + suffix
        let database = PostgresDatabase(
            url: url, name: name, user: user, hostPort: "\(host):\(components.port ?? 5432)")
        _ = try database.psql("CREATE DATABASE \(name)")
        return database
    }

    /// The `store` member of referrald.json pointing at this database; with `lease`, the lease settings written
    /// out (the defaults: ttl 3000 ms, renew 1000 ms, standby poll 500 ms) for the takeover scenario.
    func storeConfig(lease: Bool = false) -> (key: String, value: JSONValue) {
        let leaseMember: [(key: String, value: JSONValue)] =
            lease
            ? [
                (
                    "lease",
                    .object([
                        ("ttl_ms", .integer(3_000)), ("renew_ms", .integer(1_000)),
                        ("standby_poll_ms", .integer(500)),
                    ])
                )
            ] : []
        return (
            "store",
            .object(
                [
                    ("backend", .string("postgresql")),
                    (
                        "postgresql",
                        .object([
                            ("hosts", .array([.string(hostPort)])), ("database", .string(name)),
                            ("user", .string(user)),
                            ("tls", .string("disable")),
                        ])
                    ),
                ] + leaseMember)
        )
    }

    /// The database's counters in `pg_stat_database` (commits, rows inserted, updated, deleted), as psql prints
    /// them: what the broker made the database do (read after the broker stopped, so its sessions flushed them).
    func statistics() -> String {
        (try? psql(
            "SELECT 'xact_commit ' || xact_commit || ', tup_inserted ' || tup_inserted || ', tup_updated ' "
                + "|| tup_updated || ', tup_deleted ' || tup_deleted FROM pg_stat_database WHERE datname = '\(name)'"
        )) ?? "n/a"
    }

    func drop() {
        _ = try? psql("DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
    }

    @discardableResult
    private func psql(_ sql: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["psql", "-X", "-w", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", url, "-c", sql]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        do {
            try process.run()
        } catch {
            throw BenchError("--postgresql: cannot run psql: \(error)")
        }
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw BenchError("--postgresql: psql exited \(process.terminationStatus) for \(sql): \(output)")
        }
        return output
    }
}
