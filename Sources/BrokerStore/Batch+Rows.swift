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
    /// held if asked, and its audit record; nil (nothing written) if the delivery is not pending.
    mutating func settle(_ settlement: Settlement) throws -> ReceiptRecord? {
        let select = try Self.cached(
            db, &selectPending,
            """
            SELECT m.sender, m.message_id, m.case_id FROM deliveries d JOIN messages m ON m.seq = d.seq
            WHERE d.seq = ? AND d.recipient = ? AND d.state = 0
            """)
        var query = RawStatement(select)
        try query.bind(settlement.seq)
        try query.bind(settlement.recipient)
        let found = try query.fetchRow { handle in
            (RawStatement.text(handle, 0) ?? "", RawStatement.text(handle, 1) ?? "", RawStatement.text(handle, 2))
        }
        guard let (sender, messageId, caseId) = found else { return nil }
        let receipt = try close(settlement, sender: sender, messageId: messageId)
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
        return receipt
    }

    /// The receipt row and the delivery row's final state.
    private mutating func close(_ settlement: Settlement, sender: String, messageId: String) throws -> ReceiptRecord {
        let reason: String?
        if case .deadLettered(let why, _) = settlement.outcome { reason = why } else { reason = nil }
        let outcome = reason == nil ? 0 : 1
        let receipt = try Self.cached(
            db, &insertReceipt,
            "INSERT INTO receipts (sender, seq, recipient, outcome, at, reason) VALUES (?, ?, ?, ?, ?, ?)")
        var insert = RawStatement(receipt)
        try insert.bind(sender)
        try insert.bind(settlement.seq)
        try insert.bind(settlement.recipient)
        try insert.bind(outcome)
        try insert.bind(settlement.at)
        try insert.bind(reason)
        try insert.run()
        let receiptId = db.lastInsertedRowID

        let update = try Self.cached(
            db, &finishDelivery,
            """
            UPDATE deliveries SET state = ?, attempts = ?, first_attempt_at = ?, done_at = ?, reason = ?,
            receipt_id = ? WHERE seq = ? AND recipient = ?
            """)
        var change = RawStatement(update)
        try change.bind(outcome + 1)
        try change.bind(settlement.attempts)
        try change.bind(settlement.firstAttemptAt)
        try change.bind(settlement.at)
        try change.bind(reason)
        try change.bind(receiptId)
        try change.bind(settlement.seq)
        try change.bind(settlement.recipient)
        try change.run()
        rows += 2
        return ReceiptRecord(
            id: receiptId, sender: sender, seq: settlement.seq, messageId: messageId, recipient: settlement.recipient,
            outcome: outcome, at: settlement.at, reason: reason)
    }
}
