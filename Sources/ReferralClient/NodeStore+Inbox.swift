import Foundation
import GRDB
import ReferralProtocol
import SQLiteRaw

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

    /// The oldest messages not yet completed, at most `limit`, skipping `excluded` (those offered right now in
    /// this process).
    func openMessages(excluding excluded: Set<InboxKey>, limit: Int) async throws -> [InboxMessage] {
        try await read("read inbox") { db in
            let cursor = try Row.fetchCursor(
                db.cachedStatement(
                    sql: """
                        SELECT seq, message_id, sender, recipients, kind, case_id, priority, accepted_at, received_at,
                            body
                        FROM inbox WHERE completed_at IS NULL ORDER BY position
                        """))
            var messages: [InboxMessage] = []
            while messages.count < limit, let row = try cursor.next() {
                let key = InboxKey(from: row[2], id: row[1])
                if excluded.contains(key) { continue }
                messages.append(
                    InboxMessage(
                        seq: row[0], id: key.id, from: key.from, to: splitRecipients(row[3]), kind: row[4],
                        caseId: row[5], priority: Priority(rawValue: row[6]) ?? .routine, acceptedAt: row[7],
                        receivedAt: row[8], body: (row[9] as Data?).map { [UInt8]($0) } ?? []))
            }
            return messages
        }
    }

    /// Which of `keys` are in the inbox and not completed.
    func openKeys(among keys: [InboxKey]) async throws -> Set<InboxKey> {
        try await read("read inbox") { db in
            let statement = try db.cachedStatement(
                sql: "SELECT 1 FROM inbox WHERE sender = ? AND message_id = ? AND completed_at IS NULL")
            return Set(try keys.filter { try Bool.fetchOne(statement, arguments: [$0.from, $0.id]) != nil })
        }
    }

    /// Marks the messages handled and drops their bodies, in one transaction (one fsync); the dedupe keys stay.
    /// Idempotent.
    func complete(_ keys: [InboxKey], now: Int64) async throws {
        try await write("complete messages") { db in
            for key in keys {
                var update = RawStatement(
                    try db.cachedStatement(
                        sql: """
                            UPDATE inbox SET completed_at = ?, body = NULL
                            WHERE sender = ? AND message_id = ? AND completed_at IS NULL
                            """))
                try update.bind(now)
                try update.bind(key.from)
                try update.bind(key.id)
                try update.run()
            }
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
