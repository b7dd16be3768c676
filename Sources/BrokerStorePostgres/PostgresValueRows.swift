import PostgresNIO

/// The rows of one multi-row statement, `VALUES ($1::bigint, $2::text), ($3::bigint, $4::text)`: how a batch writes
/// a run of units in one round trip instead of one statement per row (POSTGRES-PLAN §4). postgres-nio sends one
/// query at a time and waits for its answer, so round trips, not rows, are what a batch costs. Every placeholder
/// carries its column's type, so that NULLs and `FROM (VALUES …)` are typed. Plain SQL VALUES lists (no arrays, no
/// UNNEST), so that PostgreSQL-compatible databases run them too.
struct PostgresValueRows {
    /// Appends one row's values, one per column, in column order.
    typealias Row = (inout PostgresBindings) -> Void

    /// The wire protocol numbers binds with 16 bits: past this a list is split into several statements.
    static let maximumBinds = 65_535

    let types: [String]
    private var rows: [Row] = []

    init(_ types: String...) {
        self.types = types
    }

    var isEmpty: Bool { rows.isEmpty }
    var count: Int { rows.count }

    mutating func append(_ row: @escaping Row) {
        rows.append(row)
    }

    /// The statements that carry every row: `sql` gets the `VALUES …` list to place (usually one statement).
    func statements(_ sql: (String) -> String) -> [PostgresQuery] {
        let rowsPerStatement = max(1, Self.maximumBinds / types.count)
        var queries: [PostgresQuery] = []
        var start = 0
        while start < rows.count {
            let end = min(rows.count, start + rowsPerStatement)
            var bindings = PostgresBindings(capacity: (end - start) * types.count)
            var values: [String] = []
            values.reserveCapacity(end - start)
            for row in rows[start..<end] {
                let first = bindings.count
                row(&bindings)
                precondition(bindings.count - first == types.count, "a row binds one value per column")
                let placeholders = types.enumerated().map { "$\(first + $0.offset + 1)::\($0.element)" }
                values.append("(" + placeholders.joined(separator: ", ") + ")")
            }
            queries.append(
                PostgresQuery(unsafeSQL: sql("VALUES " + values.joined(separator: ", ")), binds: bindings))
            start = end
        }
        return queries
    }
}

extension PostgresSession {
    /// Runs `rows` through `sql` (nothing when there are none); the answers of its statements, in order.
    @discardableResult
    func run(_ rows: PostgresValueRows, _ sql: (String) -> String) throws -> [PostgresQueryResult] {
        try rows.statements(sql).map { try query($0) }
    }
}
