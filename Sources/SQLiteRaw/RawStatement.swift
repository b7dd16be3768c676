import Foundation
import GRDB
import GRDBSQLite

/// Runs one of GRDB's cached statements through the SQLite C API: binds the values straight to the
/// statement (no `StatementArguments` of boxed values, no per-execution argument validation) and steps it.
/// Used by the broker's group commit and the node's store for the few statements they run for every
/// message; same SQL, same values, same connection and transaction as through GRDB. Binds exactly like GRDB
/// does: text with `-1` (up to a NUL) and blobs copied (`SQLITE_TRANSIENT`), an empty blob as a zero-length
/// BLOB (not NULL), `Bool` as 1/0. `RawStatementTests` compares the stored values with GRDB's.
public struct RawStatement {
    private let statement: Statement
    private var handle: OpaquePointer { statement.sqliteStatement }
    private var index: Int32 = 0

    private static let transient = unsafeBitCast(OpaquePointer(bitPattern: -1), to: sqlite3_destructor_type.self)

    /// Resets `statement` and clears its bindings; bind every parameter in order, then `run` or `fetchRow`.
    public init(_ statement: Statement) {
        self.statement = statement
        sqlite3_reset(statement.sqliteStatement)
        sqlite3_clear_bindings(statement.sqliteStatement)
    }

    private mutating func next() -> Int32 {
        index += 1
        return index
    }

    private func check(_ code: Int32) throws {
        guard code == SQLITE_OK else { throw error(code) }
    }

    private func error(_ code: Int32) -> DatabaseError {
        let message = sqlite3_db_handle(handle).flatMap { sqlite3_errmsg($0) }.map { String(cString: $0) }
        return DatabaseError(resultCode: ResultCode(rawValue: code), message: message, sql: statement.sql)
    }

    public mutating func bind(_ value: Int64) throws {
        try check(sqlite3_bind_int64(handle, next(), value))
    }

    public mutating func bind(_ value: Int) throws { try bind(Int64(value)) }

    public mutating func bind(_ value: Int64?) throws {
        if let value { try bind(value) } else { try bindNull() }
    }

    public mutating func bind(_ value: Int?) throws { try bind(value.map(Int64.init)) }

    public mutating func bind(_ value: String) throws {
        let i = next()
        // `withCString`, not the implicit String-to-pointer conversion: that one builds a `utf8CString` array (a heap
        // allocation per bound text); this one lends the string's own storage.
        try check(value.withCString { sqlite3_bind_text(handle, i, $0, -1, Self.transient) })
    }

    public mutating func bind(_ value: String?) throws {
        if let value { try bind(value) } else { try bindNull() }
    }

    public mutating func bind(_ value: Bool) throws { try bind(Int64(value ? 1 : 0)) }

    public mutating func bindBlob(_ value: [UInt8]) throws {
        let i = next()
        // An empty array may have no base address, which SQLite would bind as NULL.
        if value.isEmpty { return try check(sqlite3_bind_zeroblob(handle, i, 0)) }
        try check(
            value.withUnsafeBytes { sqlite3_bind_blob(handle, i, $0.baseAddress, Int32($0.count), Self.transient) })
    }

    public mutating func bindNull() throws {
        try check(sqlite3_bind_null(handle, next()))
    }

    /// Steps the statement to completion (an INSERT or UPDATE).
    public func run() throws {
        while true {
            switch sqlite3_step(handle) {
            case SQLITE_DONE:
                sqlite3_reset(handle)
                return
            case SQLITE_ROW:
                continue
            case let code:
                let error = error(code)
                sqlite3_reset(handle)
                throw error
            }
        }
    }

    /// Steps once and reads the first row's columns with `read`, or returns nil when there is no row.
    public func fetchRow<T>(_ read: (OpaquePointer) -> T) throws -> T? {
        defer { sqlite3_reset(handle) }
        switch sqlite3_step(handle) {
        case SQLITE_DONE:
            return nil
        case SQLITE_ROW:
            return read(handle)
        case let code:
            throw error(code)
        }
    }

    /// Steps to the end and reads every row's columns with `read` (no GRDB `Row` per row).
    public func fetchRows<T>(_ read: (OpaquePointer) -> T) throws -> [T] {
        defer { sqlite3_reset(handle) }
        var rows: [T] = []
        while true {
            switch sqlite3_step(handle) {
            case SQLITE_DONE: return rows
            case SQLITE_ROW: rows.append(read(handle))
            case let code: throw error(code)
            }
        }
    }

    // MARK: - Columns of the current row

    public static func int64(_ handle: OpaquePointer, _ column: Int32) -> Int64 { sqlite3_column_int64(handle, column) }

    public static func isNull(_ handle: OpaquePointer, _ column: Int32) -> Bool {
        sqlite3_column_type(handle, column) == SQLITE_NULL
    }

    public static func text(_ handle: OpaquePointer, _ column: Int32) -> String? {
        guard sqlite3_column_type(handle, column) != SQLITE_NULL, let bytes = sqlite3_column_text(handle, column)
        else { return nil }
        return String(cString: bytes)
    }

    public static func blob(_ handle: OpaquePointer, _ column: Int32) -> [UInt8]? {
        guard sqlite3_column_type(handle, column) != SQLITE_NULL else { return nil }
        let count = Int(sqlite3_column_bytes(handle, column))
        guard count > 0, let base = sqlite3_column_blob(handle, column) else { return [] }
        return [UInt8](UnsafeRawBufferPointer(start: base, count: count))
    }
}
