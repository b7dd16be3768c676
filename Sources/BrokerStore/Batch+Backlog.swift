import GRDB
import SQLiteRaw

/// How a batch changes `node_backlog` (schema v8): the rows it opens and closes are counted per node in memory and
/// written once per node at the end of the batch, in its transaction, instead of by a trigger per row (v7's
/// triggers ran one `node_backlog` statement per delivery or receipt opened or closed).
struct BacklogDeltas {
    /// Node -> (open deliveries, unconfirmed receipts) added (negative: removed) by this batch.
    private(set) var byNode: [String: (deliveries: Int, receipts: Int)] = [:]

    mutating func delivery(_ node: String, _ change: Int) {
        byNode[node, default: (0, 0)].deliveries += change
    }

    mutating func receipt(_ node: String, _ change: Int) {
        byNode[node, default: (0, 0)].receipts += change
    }

    static let upsertSQL = """
        INSERT INTO node_backlog (node, open_deliveries, unconfirmed_receipts) VALUES (?, ?, ?)
        ON CONFLICT (node) DO UPDATE SET open_deliveries = open_deliveries + excluded.open_deliveries,
            unconfirmed_receipts = unconfirmed_receipts + excluded.unconfirmed_receipts
        """

    /// One upsert per node whose counts moved (bookkeeping, not counted in `StoreStatistics.rowsWritten`).
    func write(_ db: Database) throws {
        for (node, change) in byNode where change != (0, 0) {
            var upsert = RawStatement(try db.cachedStatement(sql: Self.upsertSQL))
            try upsert.bind(node)
            try upsert.bind(change.deliveries)
            try upsert.bind(change.receipts)
            try upsert.run()
        }
    }
}
