import Foundation
import GRDB
import SQLiteRaw
import ReferralProtocol

/// A DELIVER as the connection thread hands it to the store.
struct InboxDelivery: Sendable, Hashable {
    var seq: Int64
    var id: String
    var from: String
    var to: [String]
    var kind: String
    var caseId: String?
    var priority: Priority
    var acceptedAt: Int64
    var body: [UInt8]
}

/// The dedupe key of an inbox message.
struct InboxKey: Sendable, Hashable {
    var from: String
    var id: String
}

extension NodeStore {
    /// Inserts a delivered message unless (from, id) is in the inbox already. Returns whether it was new.
    static func insert(_ delivery: InboxDelivery, now: Int64, in db: Database) throws -> Bool {
        var insert = RawStatement(
            try db.cachedStatement(
                sql: """
                    INSERT INTO inbox (sender, message_id, seq, recipients, kind, case_id, priority, accepted_at,
                        received_at, body)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT (sender, message_id) DO NOTHING
                    """))
        try insert.bind(delivery.from)
        try insert.bind(delivery.id)
        try insert.bind(delivery.seq)
        try insert.bind(delivery.to.joined(separator: ","))
        try insert.bind(delivery.kind)
        try insert.bind(delivery.caseId)
        try insert.bind(delivery.priority.rawValue)
        try insert.bind(delivery.acceptedAt)
        try insert.bind(now)
        try insert.bindBlob(delivery.body)
        try insert.run()
        return db.changesCount > 0
    }

    /// Commits one delivery by itself (tests and tools; the connection thread uses `apply`).
    @discardableResult
    func insert(_ delivery: InboxDelivery, now: Int64) throws -> Bool {
        try write("store delivery") { db in try Self.insert(delivery, now: now, in: db) }
    }

    /// The oldest messages not yet completed, skipping `excluded` (those offered right now in this process).
    func nextOpenMessage(excluding excluded: Set<InboxKey>) throws -> InboxMessage? {
        try read("read inbox") { db in
            let cursor = try Row.fetchCursor(
                db,
                sql: """
                    SELECT seq, message_id, sender, recipients, kind, case_id, priority, accepted_at, received_at, body
                    FROM inbox WHERE completed_at IS NULL ORDER BY position
                    """)
            while let row = try cursor.next() {
                let key = InboxKey(from: row["sender"], id: row["message_id"])
                if excluded.contains(key) { continue }
                return InboxMessage(
                    seq: row["seq"], id: key.id, from: key.from, to: splitRecipients(row["recipients"]),
                    kind: row["kind"], caseId: row["case_id"],
                    priority: Priority(rawValue: row["priority"]) ?? .routine, acceptedAt: row["accepted_at"],
                    receivedAt: row["received_at"], body: (row["body"] as Data?).map { [UInt8]($0) } ?? [])
            }
            return nil
        }
    }

    /// Marks the message handled and drops its body; the dedupe key stays. Idempotent.
    func complete(_ key: InboxKey, now: Int64) throws {
        try write("complete message") { db in
            try db.cachedStatement(
                sql: """
                    UPDATE inbox SET completed_at = ?, body = NULL
                    WHERE sender = ? AND message_id = ? AND completed_at IS NULL
                    """
            ).execute(arguments: [now, key.from, key.id])
        }
    }

    /// Messages stored and not yet completed.
    func openMessageCount() throws -> Int {
        try read("count inbox") { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM inbox WHERE completed_at IS NULL") ?? 0
        }
    }

    /// All messages ever stored (completed ones included).
    func inboxCount() throws -> Int {
        try read("count inbox") { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM inbox") ?? 0 }
    }
}
