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
        let select = try Self.cached(
            db, &selectPending,
            """
            SELECT m.case_id FROM deliveries d JOIN messages m ON m.seq = d.seq
            WHERE d.seq = ? AND d.recipient = ? AND d.state = 0
            """)
        var query = RawStatement(select)
        try query.bind(settlement.seq)
        try query.bind(settlement.recipient)
        guard let found = try query.fetchRow({ handle in RawStatement.text(handle, 0) }) else { return false }
        let caseId = found
        try close(settlement)
        switch settlement.outcome {
        case .delivered:
            rows += try DeadlineWrites.meetDelivery(
                seq: settlement.seq, recipient: settlement.recipient, caseId: caseId, at: settlement.at, db)
        case .deadLettered(let reason, let holdCase):
            if holdCase, let caseId {
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

    /// The receipt row, numbered as given (AUTOINCREMENT's counter follows an explicit id, so the numbers an
    /// accepted loss reserved stay reserved), and the delivery row's final state.
    private mutating func close(_ settlement: Settlement) throws {
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

        let update = try Self.cached(
            db, &finishDelivery,
            """
            UPDATE deliveries SET state = ?, attempts = ?, first_attempt_at = ?, done_at = ?, reason = ?,
            receipt_id = ? WHERE seq = ? AND recipient = ?
            """)
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
        rows += 2
    }
}
