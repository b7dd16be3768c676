import Foundation
import GRDB
import SQLiteRaw

// The message and delivery rows of a batch: storing a message with its pending deliveries, and settling a delivery
// with its receipt.
extension Batch {
    mutating func insert(_ message: NewMessage) throws -> AcceptResult {
        // `ifnull(?, x'')`: SQLite binds an empty buffer as NULL; an empty body or digest must stay a BLOB.
        let insert = try Self.cached(
            db, &insertMessage,
            """
            INSERT INTO messages (sender, message_id, digest, kind, case_id, priority, recipients, accepted_at, body)
            VALUES (?, ?, ifnull(?, x''), ?, ?, ?, ?, ?, ifnull(?, x''))
            ON CONFLICT (sender, message_id) DO NOTHING
            """)
        var raw = RawStatement(insert)
        try raw.bind(message.sender)
        try raw.bind(message.messageId)
        try raw.bindBlob(message.digest)
        try raw.bind(message.kind)
        try raw.bind(message.caseId)
        try raw.bind(message.priority)
        try raw.bind(message.recipients.joined(separator: ","))
        try raw.bind(message.acceptedAt)
        try raw.bindBlob(message.body)
        try raw.run()
        if db.changesCount == 1 {
            let seq = db.lastInsertedRowID
            highestSeq = max(highestSeq, seq)
            rows += 1
            let delivery = try Self.cached(
                db, &insertDelivery, "INSERT INTO deliveries (seq, recipient, state, attempts) VALUES (?, ?, 0, 0)")
            for recipient in message.recipients {
                var raw = RawStatement(delivery)
                try raw.bind(seq)
                try raw.bind(recipient)
                try raw.run()
                backlog.delivery(recipient, 1)
                rows += 1
            }
            return .stored(seq: seq)
        }
        // The key exists (stored earlier, possibly earlier in this very batch).
        guard let existing = try storedKey(message) else {
            throw DatabaseError(message: "message insert ignored but no row holds its key")
        }
        return existing
    }

    /// `.duplicate` or `.conflict` when the message's key (sender, id) is already stored; nil when it is not.
    mutating func storedKey(_ message: NewMessage) throws -> AcceptResult? {
        let select = try Self.cached(
            db, &selectByKey, "SELECT seq, digest, recipients FROM messages WHERE sender = ? AND message_id = ?")
        guard let row = try Row.fetchOne(select, arguments: [message.sender, message.messageId]) else { return nil }
        let seq: Int64 = row[0]
        let digest: Data = row[1] ?? Data()
        guard digest.elementsEqual(message.digest) else { return .conflict(existingSeq: seq) }
        // The recipients stored at the first acceptance (comma-joined node ids), not today's resolution.
        let recipients: String = row[2]
        return .duplicate(seq: seq, recipients: recipients.split(separator: ",").count)
    }

    /// Pending delivery -> acked or dead, with its receipt, then (acked) its delivery deadline met, (dead) its case
    /// held if asked, and its audit record; false (nothing written) if the delivery is not pending.
    mutating func settle(_ settlement: Settlement) throws -> Bool {
        guard try finish(settlement) else { return false }
        try insertReceipt(settlement)
        switch settlement.outcome {
        case .delivered:
            // Only a message with a case, or a case-less crisis alert, can have a delivery deadline: without a case
            // the deadline is looked for only while some open deadline has no case.
            let mayHaveDeadline = try settlement.caseId != nil || mayHaveOpenCaselessDeadline()
            if mayHaveDeadline {
                rows += try DeadlineWrites.meetDelivery(
                    seq: settlement.seq, recipient: settlement.recipient, caseId: settlement.caseId,
                    at: settlement.at, db)
            }
        case .deadLettered(let reason, let holdCase):
            if holdCase, let caseId = settlement.caseId {
                let hold = try Self.cached(
                    db, &insertHeld,
                    """
                    INSERT INTO held_cases (case_id, recipient, seq, since, reason) VALUES (?, ?, ?, ?, ?)
                    ON CONFLICT (case_id, recipient) DO NOTHING
                    """)
                try hold.execute(arguments: [caseId, settlement.recipient, settlement.seq, settlement.at, reason])
                rows += db.changesCount
            }
        }
        if let record = settlement.audit { try append(record) }
        return true
    }

    /// The delivery row's final state, only if it is still pending; false (nothing written) otherwise.
    private mutating func finish(_ settlement: Settlement) throws -> Bool {
        let update = try Self.cached(
            db, &finishDelivery,
            """
            UPDATE deliveries SET state = ?, attempts = ?, first_attempt_at = ?, done_at = ?, reason = ?,
            receipt_id = ? WHERE seq = ? AND recipient = ? AND state = 0
            """)
        let receipt = settlement.receipt
        var change = RawStatement(update)
        try change.bind(receipt.outcome + 1)
        try change.bind(settlement.attempts)
        try change.bind(settlement.firstAttemptAt)
        try change.bind(settlement.at)
        try change.bind(receipt.reason)
        try change.bind(receipt.id)
        try change.bind(settlement.seq)
        try change.bind(settlement.recipient)
        try change.run()
        guard db.changesCount == 1 else { return false }
        backlog.delivery(settlement.recipient, -1)
        rows += 1
        return true
    }

    /// The receipt row, numbered as given (AUTOINCREMENT's counter follows an explicit id, so the numbers an
    /// accepted loss reserved stay reserved).
    private mutating func insertReceipt(_ settlement: Settlement) throws {
        let receipt = settlement.receipt
        let statement = try Self.cached(
            db, &insertReceipt,
            """
            INSERT INTO receipts (id, sender, seq, recipient, outcome, at, reason, confirmed_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """)
        var insert = RawStatement(statement)
        try insert.bind(receipt.id)
        try insert.bind(receipt.sender)
        try insert.bind(receipt.seq)
        try insert.bind(receipt.recipient)
        let confirmedAt: Int64? = settlement.receiptConfirmed ? receipt.at : nil
        try insert.bind(receipt.outcome)
        try insert.bind(receipt.at)
        try insert.bind(receipt.reason)
        try insert.bind(confirmedAt)
        try insert.run()
        if confirmedAt == nil { backlog.receipt(receipt.sender, 1) }
        rows += 1
    }

    /// Whether an open deadline without a case may exist: read once per batch (through `deadlines_open_case`), then
    /// kept true by every case-less deadline the batch inserts.
    private mutating func mayHaveOpenCaselessDeadline() throws -> Bool {
        if let known = openCaselessDeadline { return known }
        // A cached statement: compiling it again for every batch cost more than running it.
        let exists = try db.cachedStatement(
            sql: "SELECT EXISTS (SELECT 1 FROM deadlines WHERE state = 0 AND case_id IS NULL)")
        let found = try RawStatement(exists).fetchRow { RawStatement.int64($0, 0) != 0 } ?? true
        openCaselessDeadline = found
        return found
    }
}
