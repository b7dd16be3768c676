import PostgresNIO
import StoreModel

extension PostgresBrokerStore {
    /// Runs a batch of units as ONE transaction (BEGIN, the fence when `leaseEpoch` is set, the units, the
    /// `node_backlog` upserts and the seq floor, COMMIT): the broker's group commit, with `BrokerStore.run`'s meaning. Returns one
    /// result per unit, in unit order. On any error the transaction is rolled back, the numbering tips stay where
    /// they were and a `PostgresStoreError` is thrown: the caller must treat every unit of the batch as not stored.
    /// An empty batch does nothing (no transaction).
    public func run(_ units: [StoreUnit]) throws -> [UnitResult] {
        guard !units.isEmpty else { return [] }
        // Made inside the transaction: after a reconnect the session and the numbering tips are new.
        var made: PostgresBatch?
        let results: [UnitResult] = try writeTransaction("run") {
            var batch = PostgresBatch(session: session, store: self)
            defer { made = batch }
            let results = try batch.runAll(units)
            try batch.finish()
            return results
        }
        // Committed: the numbering goes on from here.
        guard let batch = made else { return results }
        counters.transactions += 1
        counters.rowsWritten += batch.rows
        highestSeq = batch.highestSeq
        highestDeadlineId = batch.highestDeadlineId
        highestReceiptId = batch.highestReceiptId
        auditTipId = batch.auditId
        auditTipHash = batch.auditHash
        return results
    }

    /// The highest receipt number written or reserved (`store_identity.receipt_floor`): the machine numbers the next
    /// receipts after it.
    public func lastReceiptId() throws -> Int64 {
        try checkOpen("lastReceiptId")
        do {
            return try session.query(
                """
                SELECT greatest((SELECT receipt_floor FROM store_identity LIMIT 1),
                                (SELECT coalesce(max(id), 0) FROM receipts))
                """
            ).rows.first.map { try $0.decode(Int64?.self) ?? 0 } ?? 0
        } catch {
            throw PostgresStoreError.wrap(error, operation: "lastReceiptId")
        }
    }
}
