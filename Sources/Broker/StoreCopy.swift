import BrokerStore
import BrokerStorePostgres
import Foundation
import Logging
import ReferralProtocol
import StoreModel

/// `referrald store copy --config FILE --from-sqlite PATH`: moves a county's broker store from SQLite into the
/// PostgreSQL database `store.postgresql` names (issue 12). The SQLite file is opened as the broker opens it (its
/// lock refuses a running broker, a store that lost what it acknowledged is refused, an older file is migrated);
/// the copy is one PostgreSQL transaction, checked against the source before it commits (`PostgresStoreCopy`).
public enum StoreCopy {
    /// What one copy did, for the operator (no row's content).
    public struct Report: Sendable {
        public var source: String
        public var target: String
        public var summary: PostgresStoreCopy.Summary

        /// The lines `referrald store copy` prints.
        public var lines: [String] {
            var lines = [
                "copied \(source) to \(target) in \(String(format: "%.2f", summary.seconds)) s "
                    + "(one transaction, checked before commit)"
            ]
            let width = summary.rows.map(\.table.count).max() ?? 0
            for (table, count) in summary.rows {
                lines.append("  \(table.padding(toLength: width, withPad: " ", startingAt: 0))  \(count) rows")
            }
            if case .intact(let records, let lastHash) = summary.audit {
                lines.append("audit chain intact: \(records) records, last hash \(lastHash)")
            }
            let origin = summary.origin
            lines.append(
                "store epoch \(origin.epoch.map { String(format: "%02x", $0) }.joined()) kept: nodes see the same "
                    + "store; the next seq follows \(max(origin.seqFloor, 0))")
            return lines
        }
    }

    /// Copies the SQLite store at `sqlitePath` into the configuration's PostgreSQL database. `environment` gives
    /// `REFERRALD_PG_PASSWORD` when `password_file` is not set (as for `referrald run`).
    public static func run(
        _ configuration: BrokerConfiguration, fromSQLite sqlitePath: String, environment: [String: String],
        logger: Logger = Logger(label: "referrald.store-copy")
    ) throws -> Report {
        guard case .postgresql(let database, _) = configuration.store.backend else {
            throw ConfigurationError(
                field: "store.backend",
                reason: "store copy writes into the PostgreSQL store this configuration names: set store.backend to "
                    + "postgresql and store.postgresql.* (this configuration names \(configuration.store.backendName))")
        }
        try checkSource(sqlitePath)
        let password = try configuration.store.loadFiles(environment: environment)
        let options = database.storeOptions(password: password, instance: configuration.instance)
        let source = try BrokerStore(path: sqlitePath)
        defer { try? source.close() }
        if let problem = source.auditTailProblem {
            throw PostgresStoreCopyRefusal(
                problem: "the SQLite store's audit chain does not verify (\(problem)): nothing was copied")
        }
        let summary = try PostgresStoreCopy.copy(into: options, logger: logger) { writer in
            try source.copyOut(to: writer)
        }
        return Report(source: sqlitePath, target: configuration.storeDescription, summary: summary)
    }

    /// The source must be an existing, non-empty file: opening a missing one would create an empty store.
    static func checkSource(_ path: String) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw ConfigurationError(
                field: "--from-sqlite",
                reason: "\(path) does not exist: name the broker's SQLite store (broker.sqlite in its data_directory)")
        }
        guard !isDirectory.boolValue else {
            throw ConfigurationError(
                field: "--from-sqlite",
                reason: "\(path) is a directory: name the store file in it (usually \(path)/broker.sqlite)")
        }
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        guard size > 0 else {
            throw ConfigurationError(field: "--from-sqlite", reason: "\(path) is empty: it holds no broker store")
        }
    }
}
