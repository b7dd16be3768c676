import PostgresNIO

// How every read of the PostgreSQL store runs: on the store's session, outside any transaction (each statement is
// one round trip and sees the committed state: only this thread writes), its errors wrapped with the operation.

extension PostgresBrokerStore {
    /// Runs `body` (statements on `session`), wrapping any error as a `PostgresStoreError` of `operation`.
    func reading<T>(_ operation: String, _ body: () throws -> T) throws -> T {
        try checkOpen(operation)
        try recoverIfNeeded(operation)
        do {
            return try body()
        } catch {
            throw PostgresStoreError.wrap(error, operation: operation)
        }
    }

    /// A LIMIT bind with SQLite's meaning: a negative limit is no limit (`LIMIT NULL` in PostgreSQL, which refuses
    /// a negative one).
    static func limit(_ limit: Int) -> Int64? {
        limit < 0 ? nil : Int64(limit)
    }
}

/// A statement put together from optional conditions: each bound value gets the next `$n`.
struct PostgresQueryBuilder {
    var sql: String
    var binds = PostgresBindings()

    init(_ sql: String) {
        self.sql = sql
    }

    /// Binds `value` and returns its placeholder.
    mutating func bind<Value: PostgresDynamicTypeEncodable>(_ value: Value) -> String {
        binds.append(value)
        return "$\(binds.count)"
    }

    /// Binds `value` (NULL when nil) and returns its placeholder.
    mutating func bind<Value: PostgresDynamicTypeEncodable>(_ value: Value?) -> String {
        binds.append(value)
        return "$\(binds.count)"
    }

    var query: PostgresQuery { PostgresQuery(unsafeSQL: sql, binds: binds) }
}
