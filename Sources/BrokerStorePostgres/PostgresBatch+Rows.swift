import PostgresNIO
import StoreModel

// The message and delivery rows of a batch on PostgreSQL (`Batch+Rows` on SQLite): storing a message with its
// pending deliveries, and settling a delivery with its receipt.
extension PostgresBatch {
    /// Stores the message under the next seq, or answers what its key (sender, id) already holds. `bytea` keeps an
    /// empty body or digest as an empty value (SQLite needed `ifnull(?, x'')`). The seq is used up either way, as
    /// SQLite's AUTOINCREMENT uses it up when `ON CONFLICT DO NOTHING` drops the row, so both number alike.
    mutating func insert(_ message: NewMessage) throws -> AcceptResult {
        let seq = highestSeq + 1
        highestSeq = seq
        let inserted = try session.query(
            """
            INSERT INTO messages (seq, sender, message_id, digest, kind, case_id, priority, recipients, accepted_at,
                                  body)
            VALUES (\(seq), \(message.sender), \(message.messageId), \(ByteBuffer(bytes: message.digest)),
                    \(message.kind), \(message.caseId), \(Int64(message.priority)),
                    \(message.recipients.joined(separator: ",")), \(message.acceptedAt),
                    \(ByteBuffer(bytes: message.body)))
            ON CONFLICT (sender, message_id) DO NOTHING
            """
        ).rowCount
        seqUsedWithoutRow = inserted != 1
        if inserted == 1 {
            rows += 1
            for recipient in message.recipients {
                try session.query(
                    "INSERT INTO deliveries (seq, recipient, state, attempts) VALUES (\(seq), \(recipient), 0, 0)")
                backlog.delivery(recipient, 1)
                rows += 1
            }
            return .stored(seq: seq)
        }
        // The key exists (stored earlier, possibly earlier in this very batch).
        guard let existing = try storedKey(message) else {
            throw PostgresStoreError(
                operation: "run", cause: "message insert ignored but no row holds its key", kind: .statement)
        }
        return existing
    }

    /// `.duplicate` or `.conflict` when the message's key (sender, id) is already stored; nil when it is not.
    func storedKey(_ message: NewMessage) throws -> AcceptResult? {
        guard
            let row = try session.query(
                """
                SELECT seq, digest, recipients FROM messages
                WHERE sender = \(message.sender) AND message_id = \(message.messageId)
                """
            ).rows.first
        else { return nil }
        let (seq, digest, recipients) = try row.decode((Int64, ByteBuffer?, String).self)
        return Self.answer(message, toStored: (seq, digest.map { Array(buffer: $0) } ?? [], recipients))
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
                rows += try PostgresDeadlineWrites.meetDelivery(
                    seq: settlement.seq, recipient: settlement.recipient, caseId: settlement.caseId,
                    at: settlement.at, session)
            }
        case .deadLettered(_, let holdCase):
            if holdCase { try self.holdCase(settlement) }
        }
        if let record = settlement.audit { try append(record) }
        return true
    }

    /// Holds (case, recipient) after a dead letter of a message with a case (nothing without one).
    mutating func holdCase(_ settlement: Settlement) throws {
        guard let caseId = settlement.caseId, case .deadLettered(let reason, _) = settlement.outcome else { return }
        rows += try session.query(
            """
            INSERT INTO held_cases (case_id, recipient, seq, since, reason)
            VALUES (\(caseId), \(settlement.recipient), \(settlement.seq), \(settlement.at), \(reason))
            ON CONFLICT (case_id, recipient) DO NOTHING
            """
        ).rowCount
    }

    /// The delivery row's final state, only if it is still pending; false (nothing written) otherwise.
    private mutating func finish(_ settlement: Settlement) throws -> Bool {
        let receipt = settlement.receipt
        let changed = try session.query(
            """
            UPDATE deliveries SET state = \(Int64(receipt.outcome + 1)), attempts = \(Int64(settlement.attempts)),
                first_attempt_at = \(settlement.firstAttemptAt), done_at = \(settlement.at),
                reason = \(receipt.reason), receipt_id = \(receipt.id)
            WHERE seq = \(settlement.seq) AND recipient = \(settlement.recipient) AND state = 0
            """
        ).rowCount
        guard changed == 1 else { return false }
        backlog.delivery(settlement.recipient, -1)
        rows += 1
        return true
    }

    /// The receipt row, numbered as given (the machine numbers receipts; the store keeps the highest).
    private mutating func insertReceipt(_ settlement: Settlement) throws {
        let receipt = settlement.receipt
        let confirmedAt: Int64? = settlement.receiptConfirmed ? receipt.at : nil
        try session.query(
            """
            INSERT INTO receipts (id, sender, seq, recipient, outcome, at, reason, confirmed_at)
            VALUES (\(receipt.id), \(receipt.sender), \(receipt.seq), \(receipt.recipient),
                    \(Int64(receipt.outcome)), \(receipt.at), \(receipt.reason), \(confirmedAt))
            """)
        highestReceiptId = max(highestReceiptId, receipt.id)
        if confirmedAt == nil { backlog.receipt(receipt.sender, 1) }
        rows += 1
    }

    /// Whether an open deadline without a case may exist: read once per batch (through `deadlines_open_case`), then
    /// kept true by every case-less deadline the batch inserts.
    mutating func mayHaveOpenCaselessDeadline() throws -> Bool {
        if let known = openCaselessDeadline { return known }
        let found =
            try session.query("SELECT EXISTS (SELECT 1 FROM deadlines WHERE state = 0 AND case_id IS NULL)")
            .rows.first.map { try $0.decode(Bool.self) } ?? true
        openCaselessDeadline = found
        return found
    }
}
