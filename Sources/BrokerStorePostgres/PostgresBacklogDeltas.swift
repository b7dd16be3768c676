/// How a batch changes `node_backlog` on PostgreSQL, as `BacklogDeltas` does on SQLite: the rows it opens and closes
/// are counted per node in memory and written at the end of the batch, in its transaction, in one statement.
struct PostgresBacklogDeltas {
    /// Node -> (open deliveries, unconfirmed receipts) added (negative: removed) by this batch.
    private(set) var byNode: [String: (deliveries: Int, receipts: Int)] = [:]

    mutating func delivery(_ node: String, _ change: Int) {
        byNode[node, default: (0, 0)].deliveries += change
    }

    mutating func receipt(_ node: String, _ change: Int) {
        byNode[node, default: (0, 0)].receipts += change
    }

    /// One upsert of every node whose counts moved (bookkeeping, not counted in `StoreStatistics.rowsWritten`).
    func write(_ session: PostgresSession) throws {
        var changes = PostgresValueRows("text", "bigint", "bigint")
        for (node, change) in byNode.sorted(by: { $0.key < $1.key }) where change != (0, 0) {
            changes.append {
                $0.append(node)
                $0.append(Int64(change.deliveries))
                $0.append(Int64(change.receipts))
            }
        }
        try session.run(changes) {
            """
            INSERT INTO node_backlog (node, open_deliveries, unconfirmed_receipts) \($0)
            ON CONFLICT (node) DO UPDATE SET
                open_deliveries = node_backlog.open_deliveries + excluded.open_deliveries,
                unconfirmed_receipts = node_backlog.unconfirmed_receipts + excluded.unconfirmed_receipts
            """
        }
    }
}
