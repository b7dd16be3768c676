import Foundation
import GRDB

/// The node's local durable store: one SQLite file (WAL, `synchronous=FULL`) holding the outbox, the inbox and
/// the receipt log, written through exactly one connection (a GRDB `DatabaseQueue`, which serialises every
/// access, so the API's callers and the connection thread can share it).
///
/// Every commit is an fsync; the connection thread batches everything that arrived together into one
/// transaction (`apply(_:)`).
final class NodeStore: Sendable {
    let path: String
    let dbQueue: DatabaseQueue

    /// Creates the parent directory if needed, opens (creating) the file, sets WAL + `synchronous=FULL`, migrates.
    init(path: String) throws {
        self.path = path
        do {
            let parent = URL(fileURLWithPath: path).deletingLastPathComponent()
            try FileManager.default.createDirectory(at: parent, withIntermediateDirectories: true)
        } catch {
            throw ReferralClientError.store(operation: "open \(path)", cause: "cannot create its directory")
        }
        var config = Configuration()
        config.label = "NodeStore"
        config.busyMode = .timeout(5)
        config.publicStatementArguments = false  // errors never show arguments (bodies)
        // Not `config.journalMode = .wal`: GRDB's WAL setup lowers `synchronous` to NORMAL.
        config.prepareDatabase { db in
            let mode = try String.fetchOne(db, sql: "PRAGMA journal_mode = WAL")
            guard mode?.lowercased() == "wal" else {
                throw DatabaseError(message: "cannot switch to WAL journal mode (got \(mode ?? "nothing"))")
            }
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        do {
            dbQueue = try DatabaseQueue(path: path, configuration: config)
        } catch {
            throw Self.wrap(error, operation: "open \(path)")
        }
        do {
            let migrator = NodeSchema.migrator
            if try dbQueue.read({ try migrator.hasBeenSuperseded($0) }) {
                throw ReferralClientError.store(
                    operation: "open \(path)", cause: "the store was written by a newer version of the library")
            }
            try migrator.migrate(dbQueue)
        } catch let error as ReferralClientError {
            try? dbQueue.close()
            throw error
        } catch {
            try? dbQueue.close()
            throw Self.wrap(error, operation: "migrate \(path)")
        }
    }

    /// Closes the connection (checkpointing the WAL). Later calls fail.
    func close() {
        try? dbQueue.close()
    }

    /// The connection's journal mode and synchronous level (for tests).
    func pragmas() throws -> (journalMode: String, synchronous: Int) {
        try read("pragmas") { db in
            (
                try String.fetchOne(db, sql: "PRAGMA journal_mode") ?? "",
                try Int.fetchOne(db, sql: "PRAGMA synchronous") ?? -1
            )
        }
    }

    // MARK: - Access helpers

    /// One `BEGIN IMMEDIATE` transaction (one fsync).
    func write<T>(_ operation: String, _ body: (Database) throws -> T) throws -> T {
        do {
            return try dbQueue.writeWithoutTransaction { db in
                var result: T?
                try db.inTransaction(.immediate) {
                    result = try body(db)
                    return .commit
                }
                return result!
            }
        } catch let error as ReferralClientError {
            throw error
        } catch {
            throw Self.wrap(error, operation: operation)
        }
    }

    func read<T>(_ operation: String, _ body: (Database) throws -> T) throws -> T {
        do {
            return try dbQueue.read(body)
        } catch let error as ReferralClientError {
            throw error
        } catch {
            throw Self.wrap(error, operation: operation)
        }
    }

    /// A store error without statement arguments (which could hold bodies).
    static func wrap(_ error: any Error, operation: String) -> ReferralClientError {
        if let error = error as? DatabaseError {
            return .store(operation: operation, cause: "\(error.resultCode): \(error.message ?? "no detail")")
        }
        return .store(operation: operation, cause: String(describing: type(of: error)))
    }
}

/// Milliseconds since the Unix epoch (wall clock, for stored times).
func wallClockMillis() -> Int64 {
    Int64((Date().timeIntervalSince1970 * 1000).rounded(.down))
}
