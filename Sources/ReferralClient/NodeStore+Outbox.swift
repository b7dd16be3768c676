import Foundation
import GRDB
import ReferralProtocol
import SQLiteRaw

/// A queued outbox entry with everything needed to send it.
struct OutboxRow: Sendable, Hashable {
    var position: Int64
    var id: String
    var to: [String]
    var kind: String
    var caseId: String?
    var priority: Priority
    var body: [UInt8]
    var retries: Int
    var notBefore: Int64?
    var followUp: FollowUpHeader?
}

/// What the broker answered to a SEND, as the connection thread records it.
enum OutboxAnswer: Sendable, Hashable {
    /// `recipients`: ACCEPTED's count of the nodes the message went to (nil from a broker that does not say).
    case accepted(id: String, seq: Int64, duplicate: Bool, recipients: Int? = nil)
    /// REJECTED with `retry: false`: final.
    case rejected(id: String, code: String, reason: String, field: String?, recipient: String?)
    /// REJECTED with `retry: true`: stays queued, resent at `notBefore`.
    case retryLater(id: String, code: String, reason: String, notBefore: Int64)

    var isFinalRejection: Bool {
        if case .rejected = self { true } else { false }
    }

    var id: String {
        switch self {
        case .accepted(let id, _, _, _), .rejected(let id, _, _, _, _), .retryLater(let id, _, _, _): id
        }
    }
}

extension NodeStore {
    /// Commits the messages to the outbox in one transaction (all or none) and returns their ids; `committed`
    /// gets the entries it added (not those already there), in commit order, right after the commit.
    ///
    /// A message whose id is already in the outbox with the same content (same 1/RBP content digest: recipients
    /// in any order, kind, case, priority, body) is left as it is (sending again is idempotent); with different
    /// content the whole call fails with `conflictingId`.
    func enqueue(
        _ messages: [OutgoingMessage], now: Int64, committed: @escaping @Sendable ([OutboxRow]) -> Void = { _ in }
    ) async throws -> [String] {
        let prepared = try messages.map { try Validation.prepared($0) }
        let insert: @Sendable (Database) throws -> [OutboxRow] = { db in
            try prepared.compactMap { try Self.insert($0, now: now, in: db) }
        }
        _ = try await write("enqueue", insert, committed: committed)
        return prepared.map(\.id)
    }

    /// Inserts one new outbox entry and returns it as `queuedOutbox` would read it back; nil when the id is there
    /// with the same content.
    private static func insert(_ message: OutgoingMessage, now: Int64, in db: Database) throws -> OutboxRow? {
        let digest = Send(
            id: message.id, to: message.to, kind: message.kind, caseId: message.caseId,
            priority: message.priority, body: message.body, followUp: message.followUp
        ).contentDigest
        // One statement for a new id (the common case); the stored digest is read only when the id exists
        // already: the same content is a no-op, other content a conflict (the batch rolls back).
        var insert = RawStatement(
            try db.cachedStatement(
                sql: """
                    INSERT INTO outbox (id, recipients, kind, case_id, priority, body, digest, created_at,
                        followup)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT (id) DO NOTHING
                    """))
        try insert.bind(message.id)
        try insert.bind(message.to.joined(separator: ","))
        try insert.bind(message.kind)
        try insert.bind(message.caseId)
        try insert.bind(message.priority.rawValue)
        try insert.bindBlob(message.body)
        try insert.bindBlob(digest)
        try insert.bind(now)
        let followUp = message.followUp.map { String(decoding: $0.canonicalJSON, as: UTF8.self) }
        try insert.bind(followUp)
        try insert.run()
        if db.changesCount == 1 {
            return OutboxRow(
                position: db.lastInsertedRowID, id: message.id, to: message.to, kind: message.kind,
                caseId: message.caseId, priority: message.priority, body: message.body, retries: 0, notBefore: nil,
                followUp: followUp.flatMap(Self.followUp(fromCanonical:)))
        }
        guard
            let existing = try Data.fetchOne(
                db.cachedStatement(sql: "SELECT digest FROM outbox WHERE id = ?"), arguments: [message.id])
        else { throw DatabaseError(message: "outbox insert ignored but no row holds id \(message.id)") }
        guard [UInt8](existing) == digest else { throw ReferralClientError.conflictingId(message.id) }
        return nil
    }

    /// Queued entries after `position`, in commit order.
    func queuedOutbox(after position: Int64, limit: Int) throws -> [OutboxRow] {
        try read("load outbox") { db in
            var select = RawStatement(
                try db.cachedStatement(
                    sql: """
                        SELECT position, id, recipients, kind, case_id, priority, body, retries, not_before, followup
                        FROM outbox WHERE state = 0 AND position > ? ORDER BY position LIMIT ?
                        """))
            try select.bind(position)
            try select.bind(limit)
            return try select.fetchRows(Self.outboxRow)
        }
    }

    /// One queued entry by id (nil if it is no longer queued).
    func queuedOutbox(id: String) throws -> OutboxRow? {
        try read("load outbox entry") { db in
            try Row.fetchOne(
                db.cachedStatement(
                    sql: """
                        SELECT position, id, recipients, kind, case_id, priority, body, retries, not_before, followup
                        FROM outbox WHERE state = 0 AND id = ?
                        """), arguments: [id]
            ).map(Self.outboxRow)
        }
    }

    /// A row of `SELECT position, id, recipients, kind, case_id, priority, body, retries, not_before, followup`,
    /// read by column index (no lookup of the column names for every row).
    private static func outboxRow(_ row: Row) -> OutboxRow {
        OutboxRow(
            position: row[0], id: row[1], to: splitRecipients(row[2]), kind: row[3],
            caseId: row[4], priority: Priority(rawValue: row[5]) ?? .routine,
            body: (row[6] as Data?).map { [UInt8]($0) } ?? [], retries: row[7],
            notBefore: row[8], followUp: (row[9] as String?).flatMap(followUp(fromCanonical:)))
    }

    /// The same columns read straight from SQLite's current row (NOT NULL columns as such).
    private static func outboxRow(_ handle: OpaquePointer) -> OutboxRow {
        typealias Column = RawStatement
        return OutboxRow(
            position: Column.int64(handle, 0), id: Column.text(handle, 1) ?? "",
            to: splitRecipients(Column.text(handle, 2) ?? ""), kind: Column.text(handle, 3) ?? "",
            caseId: Column.text(handle, 4), priority: Priority(rawValue: Column.text(handle, 5) ?? "") ?? .routine,
            body: Column.blob(handle, 6) ?? [], retries: Int(Column.int64(handle, 7)),
            notBefore: Column.isNull(handle, 8) ? nil : Column.int64(handle, 8),
            followUp: Column.text(handle, 9).flatMap(followUp(fromCanonical:)))
    }

    /// The plan as `enqueue` stored it (validated then); nil for a text this version cannot read.
    private static func followUp(fromCanonical text: String) -> FollowUpHeader? {
        guard let value = try? JSONReader.parse(Array(text.utf8), maxDepth: 3) else { return nil }
        return try? FollowUpHeader(value)
    }

    /// Records answers inside a batch transaction. Only queued entries change: a late answer to an entry
    /// already settled is ignored. A final answer that changed the entry is appended to the event log in the
    /// same transaction; returns whether it was.
    @discardableResult
    static func record(_ answer: OutboxAnswer, now: Int64, in db: Database) throws -> Bool {
        switch answer {
        case .accepted(let id, let seq, let duplicate, let recipients):
            // The body stays until every recipient's receipt is in (`dropBodyIfReceipted`): a broker that loses
            // the message after ACCEPTED gets it again (1/RBP §7.2, store epoch). Receipts stored before the
            // answer (a resend answered again) are counted here, against the count this answer gives.
            var update = RawStatement(
                try db.cachedStatement(
                    sql: """
                        UPDATE outbox AS o SET state = 1, seq = ?1, duplicate = ?2, recipient_count = ?3,
                            not_before = NULL, answered_at = ?4,
                            body = CASE WHEN \(Self.acceptedReceipted) THEN NULL ELSE body END
                        WHERE id = ?5 AND state = 0
                        """))
            try update.bind(seq)
            try update.bind(duplicate)
            try update.bind(recipients)
            try update.bind(now)
            try update.bind(id)
            try update.run()
            guard db.changesCount == 1 else { return false }
            try NodeEventLog.appendStatus(.accepted, id: id, seq: seq, now: now, in: db)
            return true
        case .rejected(let id, let code, let reason, let field, let recipient):
            try db.cachedStatement(
                sql: """
                    UPDATE outbox SET state = 2, code = ?, reason = ?, field = ?, recipient = ?, not_before = NULL,
                        answered_at = ? WHERE id = ? AND state = 0
                    """
            ).execute(arguments: [code, reason, field, recipient, now, id])
            guard db.changesCount == 1 else { return false }
            try NodeEventLog.appendStatus(
                .rejected, id: id, code: code, reason: reason, field: field, recipient: recipient, now: now, in: db)
            return true
        case .retryLater(let id, let code, let reason, let notBefore):
            try db.cachedStatement(
                sql: """
                    UPDATE outbox SET code = ?, reason = ?, retries = retries + 1, not_before = ?
                    WHERE id = ? AND state = 0
                    """
            ).execute(arguments: [code, reason, notBefore, id])
            return false
        }
    }

    /// Whether the entry being accepted has every receipt already, counted against ACCEPTED's `recipients` (?3).
    private static let acceptedReceipted = receipted(
        by: "coalesce(?3, length(o.recipients) - length(replace(o.recipients, ',', '')) + 1)")

    /// The outbox entry with this id, without its body.
    func outboxEntry(id: String) throws -> OutboxEntry? {
        try read("read outbox entry") { db in
            try Row.fetchOne(
                db.cachedStatement(sql: "SELECT \(Self.entryColumns) FROM outbox WHERE id = ?"), arguments: [id]
            ).map(Self.outboxEntry)
        }
    }

    /// Entries in commit order, all or those in `state`; at most `limit`, the newest when there are more.
    func outboxEntries(state: OutboxState?, limit: Int) throws -> [OutboxEntry] {
        try read("list outbox") { db in
            let filter = state.map { "WHERE state = \(Self.stateCode($0))" } ?? ""
            return try Row.fetchAll(
                db,
                sql: """
                    SELECT * FROM (SELECT position, \(Self.entryColumns) FROM outbox \(filter)
                    ORDER BY position DESC LIMIT ?) ORDER BY position
                    """, arguments: [limit]
            ).map(Self.outboxEntry)
        }
    }

    /// Takes the oldest final rejection not taken before (marks it reported); nil when there is none.
    func takeNextRejection(now: Int64) throws -> OutboxEntry? {
        try write("take rejection") { db in
            guard
                let row = try Row.fetchOne(
                    db.cachedStatement(
                        sql: """
                            SELECT \(Self.entryColumns) FROM outbox WHERE state = 2 AND reported_at IS NULL
                            ORDER BY position LIMIT 1
                            """))
            else { return nil }
            let entry = Self.outboxEntry(row)
            try db.cachedStatement(sql: "UPDATE outbox SET reported_at = ? WHERE id = ?").execute(arguments: [
                now, entry.id,
            ])
            return entry
        }
    }

    private static let entryColumns = """
        id, recipients, kind, case_id, priority, state, seq, duplicate, code, reason, field, recipient, retries, \
        created_at, answered_at
        """

    private static func stateCode(_ state: OutboxState) -> Int {
        switch state {
        case .queued: 0
        case .accepted: 1
        case .rejected: 2
        }
    }

    private static func outboxEntry(_ row: Row) -> OutboxEntry {
        let state: OutboxState =
            switch row["state"] as Int {
            case 1: .accepted
            case 2: .rejected
            default: .queued
            }
        return OutboxEntry(
            id: row["id"], to: splitRecipients(row["recipients"]), kind: row["kind"], caseId: row["case_id"],
            priority: Priority(rawValue: row["priority"]) ?? .routine, state: state, seq: row["seq"],
            duplicate: row["duplicate"], code: row["code"], reason: row["reason"], field: row["field"],
            recipient: row["recipient"], retries: row["retries"], createdAt: row["created_at"],
            answeredAt: row["answered_at"])
    }

    /// How many entries are still queued.
    func queuedCount() throws -> Int {
        try read("count outbox") { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM outbox WHERE state = 0") ?? 0
        }
    }
}

func splitRecipients(_ text: String) -> [String] {
    text.split(separator: ",").map(String.init)
}
