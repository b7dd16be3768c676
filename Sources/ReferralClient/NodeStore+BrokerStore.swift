import GRDB

extension NodeStore {
    /// Records the broker store's epoch from a WELCOME (1/RBP §7.2). When another epoch was recorded before, the
    /// broker's operator accepted the loss of messages it had acknowledged: returns the ids of the accepted
    /// outbox entries that have fewer receipts than addresses (in send order), which the broker may have lost.
    /// nil when the epoch is the one recorded, or the first.
    func noteBrokerStore(_ epoch: String) throws -> [String]? {
        try write("note the broker's store epoch") { db in
            let previous = try String.fetchOne(db, sql: "SELECT epoch FROM broker_store")
            guard previous != epoch else { return nil }
            try db.execute(sql: "DELETE FROM broker_store")
            try db.execute(sql: "INSERT INTO broker_store (epoch) VALUES (?)", arguments: [epoch])
            guard previous != nil else { return nil }
            // Recipients are comma-joined: their count is one more than the commas.
            return try String.fetchAll(
                db,
                sql: """
                    SELECT o.id FROM outbox o WHERE o.state = 1
                    AND (SELECT count(*) FROM receipts r WHERE r.message_id = o.id)
                        < length(o.recipients) - length(replace(o.recipients, ',', '')) + 1
                    ORDER BY o.position
                    """)
        }
    }
}
