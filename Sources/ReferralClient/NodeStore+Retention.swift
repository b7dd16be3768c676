import GRDB
import SQLiteRaw

// An accepted message's body stays in the outbox until every recipient's receipt (delivered or dead-lettered) is
// in: until then a broker that lost it (a new store epoch, 1/RBP §7.2) can be given it again, same id and
// content. The storage this costs is in docs/DESIGN.md.
extension NodeStore {
    /// SQL: whether outbox row `o` has a receipt from as many distinct recipients as ACCEPTED said it has. From a
    /// broker that did not say, one recipient per address (comma-joined: one more than the commas).
    static let fullyReceipted = receipted(
        by: "coalesce(o.recipient_count, length(o.recipients) - length(replace(o.recipients, ',', '')) + 1)")

    /// SQL: whether outbox row `o` has a receipt from at least `expected` (an SQL expression) distinct recipients.
    /// The plain count decides alone when one recipient is expected (the common case) and rules out too few
    /// receipts at once; only then are recipients told apart (which costs SQLite a temporary table).
    static func receipted(by expected: String) -> String {
        """
        ((SELECT count(*) FROM receipts r WHERE r.message_id = o.id) >= \(expected)
            AND (\(expected) <= 1
                OR (SELECT count(DISTINCT r.recipient) FROM receipts r WHERE r.message_id = o.id) >= \(expected)))
        """
    }

    /// Drops the body of accepted entry `id` once it is fully receipted.
    static func dropBodyIfReceipted(id: String, in db: Database) throws {
        var update = RawStatement(
            try db.cachedStatement(
                sql: """
                    UPDATE outbox AS o SET body = NULL
                    WHERE o.id = ? AND o.state = 1 AND o.body IS NOT NULL AND \(fullyReceipted)
                    """))
        try update.bind(id)
        try update.run()
    }
}
