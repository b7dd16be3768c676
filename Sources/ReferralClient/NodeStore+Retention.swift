import GRDB

// An accepted message's body stays in the outbox until every recipient's receipt (delivered or dead-lettered) is
// in: until then a broker that lost it (a new store epoch, 1/RBP §7.2) can be given it again, same id and
// content. The storage this costs is in docs/DESIGN.md.
extension NodeStore {
    /// SQL: whether outbox row `o` has a receipt from as many distinct recipients as ACCEPTED said it has. From a
    /// broker that did not say, one recipient per address (comma-joined: one more than the commas).
    static let fullyReceipted = """
        (SELECT count(DISTINCT r.recipient) FROM receipts r WHERE r.message_id = o.id)
            >= coalesce(o.recipient_count, length(o.recipients) - length(replace(o.recipients, ',', '')) + 1)
        """

    /// Drops the body of accepted entry `id` once it is fully receipted.
    static func dropBodyIfReceipted(id: String, in db: Database) throws {
        try db.cachedStatement(
            sql: """
                UPDATE outbox AS o SET body = NULL
                WHERE o.id = ? AND o.state = 1 AND o.body IS NOT NULL AND \(fullyReceipted)
                """
        ).execute(arguments: [id])
    }
}
