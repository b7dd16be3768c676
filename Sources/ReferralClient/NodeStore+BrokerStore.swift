import GRDB

/// What a new broker store epoch meant for the outbox: the accepted messages it may have lost.
struct BrokerStoreLoss: Sendable, Hashable {
    /// Back to queued, to be sent again with their ids and content (in send order).
    var requeued: [String]
    /// Accepted before this version kept bodies until the receipts: named only, they cannot be sent again.
    var withoutBody: [String]
}

extension NodeStore {
    /// Records the broker store's epoch from a WELCOME (1/RBP §7.2). When another epoch was recorded before, the
    /// broker's operator accepted the loss of messages it had acknowledged: the accepted outbox entries without a
    /// receipt from every recipient go back to queued (in the same transaction), so they are sent again. nil
    /// when the epoch is the one recorded, or the first.
    func noteBrokerStore(_ epoch: String) throws -> BrokerStoreLoss? {
        try write("note the broker's store epoch") { db in
            let previous = try String.fetchOne(db, sql: "SELECT epoch FROM broker_store")
            guard previous != epoch else { return nil }
            try db.execute(sql: "DELETE FROM broker_store")
            try db.execute(sql: "INSERT INTO broker_store (epoch) VALUES (?)", arguments: [epoch])
            guard previous != nil else { return nil }
            let lost = try Row.fetchAll(
                db,
                sql: """
                    SELECT o.id, o.body IS NOT NULL FROM outbox o WHERE o.state = 1 AND NOT \(Self.fullyReceipted)
                    ORDER BY o.position
                    """)
            let requeued: [String] = lost.filter { $0[1] as Bool }.map { $0[0] }
            for id in requeued {
                // The broker that forgot it answers it as new: a new seq, and its own count of recipients.
                try db.execute(
                    sql: """
                        UPDATE outbox SET state = 0, seq = NULL, duplicate = 0, recipient_count = NULL,
                            not_before = NULL, answered_at = NULL WHERE id = ?
                        """, arguments: [id])
            }
            return BrokerStoreLoss(requeued: requeued, withoutBody: lost.filter { !($0[1] as Bool) }.map { $0[0] })
        }
    }
}
