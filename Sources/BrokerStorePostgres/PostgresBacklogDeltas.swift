/// How a batch changes `node_backlog` on PostgreSQL, as `BacklogDeltas` does on SQLite: the rows it opens and closes
/// are counted per node in memory and written once per node at the end of the batch, in its transaction.
struct PostgresBacklogDeltas {
    /// Node -> (open deliveries, unconfirmed receipts) added (negative: removed) by this batch.
    private(set) var byNode: [String: (deliveries: Int, receipts: Int)] = [:]

    mutating func delivery(_ node: String, _ change: Int) {
        byNode[node, default: (0, 0)].deliveries += change
    }

    mutating func receipt(_ node: String, _ change: Int) {
        byNode[node, default: (0, 0)].receipts += change
    }

    /// One upsert per node whose counts moved (bookkeeping, not counted in `StoreStatistics.rowsWritten`).
    func write(_ session: PostgresSession) throws {
        for (node, change) in byNode where change != (0, 0) {
            try session.query(
                """
                INSERT INTO node_backlog (node, open_deliveries, unconfirmed_receipts)
                VALUES (\(node), \(Int64(change.deliveries)), \(Int64(change.receipts)))
                ON CONFLICT (node) DO UPDATE SET
                    open_deliveries = node_backlog.open_deliveries + excluded.open_deliveries,
                    unconfirmed_receipts = node_backlog.unconfirmed_receipts + excluded.unconfirmed_receipts
                """)
        }
    }
}
