import Foundation
import Testing

/// The PostgreSQL server tests run against: the URL in `REFERRAL_TEST_PG_URL`, which `scripts/test` exports after
/// starting a throwaway cluster with `scripts/pg-test-cluster` (by hand: `scripts/pg-test-cluster start
/// /tmp/pgt/primary` and export the URL it prints). Every test gets a database of its own, `t_<uuid>`, created and
/// dropped through `psql`, so tests never see each other's rows and a failed one leaves nothing behind for the
/// next. Without the variable the tests that need it are skipped, each with a note saying why
/// (`PostgresTestCluster.skipNote`).
///
/// The role of the URL creates the databases (pg-test-cluster gives `referral` CREATEDB), so each is owned by the
/// role the broker connects as, as in a deployment.
struct PostgresTestCluster: Sendable {
    static let variable = "REFERRAL_TEST_PG_URL"

    /// Why the PostgreSQL tests are skipped (shown by `swift test` beside each skipped test).
    static let skipNote = Comment(
        rawValue: "REFERRAL_TEST_PG_URL is not set: PostgreSQL tests skipped (scripts/test starts a cluster; by hand: "
            + "scripts/pg-test-cluster start /tmp/pgt/primary, then export the URL it prints)")

    /// The cluster of this test run, nil when `REFERRAL_TEST_PG_URL` is not set.
    static let shared: PostgresTestCluster? = ProcessInfo.processInfo.environment[variable].flatMap {
        $0.isEmpty ? nil : PostgresTestCluster(url: $0)
    }

    static var isConfigured: Bool { shared != nil }

    /// `postgresql://user@host:port/database` of the cluster's own database.
    let url: String

    /// The URL of `database` on this cluster (the same user, host, port and parameters).
    func url(ofDatabase database: String) throws -> String {
        guard var components = URLComponents(string: url), components.host != nil else {
            throw PostgresTestClusterError("\(Self.variable) is not a postgresql:// URL: \(redacted(url))")
        }
        components.path = "/" + database
        guard let result = components.string else {
            throw PostgresTestClusterError("cannot build a URL for \(database)")
        }
        return result
    }

    /// Creates a fresh database and returns its name and URL.
    func createDatabase() throws -> (name: String, url: String) {
        let name = "t_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        try psql(url, "CREATE DATABASE \(name)")
        return (name, try url(ofDatabase: name))
    }

    /// Drops `name`, ending the connections still open to it (a test that failed half-way).
    func dropDatabase(_ name: String) throws {
        try psql(url, "DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
    }

    /// Runs `body` with the URL of a database of its own, dropped afterwards whatever `body` did.
    func withDatabase<T>(_ body: (String) throws -> T) throws -> T {
        let database = try createDatabase()
        do {
            let result = try body(database.url)
            try dropDatabase(database.name)
            return result
        } catch {
            try? dropDatabase(database.name)
            throw error
        }
    }

    /// The async form of `withDatabase`.
    func withDatabase<T>(_ body: (String) async throws -> T) async throws -> T {
        let database = try createDatabase()
        do {
            let result = try await body(database.url)
            try dropDatabase(database.name)
            return result
        } catch {
            try? dropDatabase(database.name)
            throw error
        }
    }

    /// Runs `sql` through `psql` on the database at `url`; the rows it prints, unaligned (`a|b` per line), trimmed.
    /// A failure throws with psql's message.
    @discardableResult
    func psql(_ url: String, _ sql: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try Self.psqlPath())
        process.arguments = ["-X", "-w", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", url, "-c", sql]
        var environment = ProcessInfo.processInfo.environment
        environment["PGCONNECT_TIMEOUT"] = "10"
        process.environment = environment
        let output = Pipe()
        let errors = FileManager.default.temporaryDirectory.appendingPathComponent("psql-\(UUID().uuidString)")
        FileManager.default.createFile(atPath: errors.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: errors) }
        process.standardOutput = output
        process.standardError = try FileHandle(forWritingTo: errors)
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let message = (try? String(contentsOf: errors, encoding: .utf8)) ?? ""
            throw PostgresTestClusterError(
                "psql on \(redacted(url)) exited \(process.terminationStatus) for \(sql): "
                    + message.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// `psql` from PATH (Debian's wrapper in /usr/bin), else the newest /usr/lib/postgresql/*/bin.
    static func psqlPath() throws -> String {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        let candidates =
            path.split(separator: ":").map { "\($0)/psql" }
            + ((try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? []).sorted().reversed()
            .map { "/usr/lib/postgresql/\($0)/bin/psql" }
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw PostgresTestClusterError("psql is not installed (scripts/setup --postgresql)")
        }
        return found
    }

    /// `url` without a password, for messages.
    private func redacted(_ url: String) -> String {
        guard var components = URLComponents(string: url), components.password != nil else { return url }
        components.password = "redacted"
        return components.string ?? "(a URL)"
    }
}

struct PostgresTestClusterError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
