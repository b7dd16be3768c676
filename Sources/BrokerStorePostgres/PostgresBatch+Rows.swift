import PostgresNIO
import StoreModel

// The message and delivery rows of a batch on PostgreSQL (`Batch+Rows` on SQLite): their shapes, shared by the
// runs of plain units (`PostgresBatch+RunMessages`) and the one-by-one accept of a unit with a case move or closes.
extension PostgresBatch {
    /// Stores the message under the next seq, or answers what its key (sender, id) already holds. `bytea` keeps an
    /// empty body or digest as an empty value (SQLite needed `ifnull(?, x'')`). The seq is used up either way, as
    /// SQLite's AUTOINCREMENT uses it up when `ON CONFLICT DO NOTHING` drops the row, so both number alike.
    mutating func insert(_ message: NewMessage) throws -> AcceptResult {
        let seq = highestSeq + 1
        highestSeq = seq
        var messages = Self.newMessageRows()
        Self.addMessage(message, seq: seq, to: &messages)
        let stored = try Self.insertMessages(messages, session).contains(seq)
        seqUsedWithoutRow = !stored
        if stored {
            rows += 1
            var deliveries = Self.newDeliveryRows()
            addDeliveries(of: message, seq: seq, to: &deliveries)
            try Self.insertDeliveries(deliveries, session)
            return .stored(seq: seq)
        }
        // The key exists (stored earlier, possibly earlier in this very batch).
        guard let existing = try storedKey(message) else {
            throw PostgresStoreError(
                operation: "run", cause: "message insert ignored but no row holds its key", kind: .statement)
        }
        return existing
    }

    static func newMessageRows() -> PostgresValueRows {
        PostgresValueRows("bigint", "text", "text", "bytea", "text", "text", "bigint", "text", "bigint", "bytea")
    }

    static func addMessage(_ message: NewMessage, seq: Int64, to messages: inout PostgresValueRows) {
        messages.append {
            $0.append(seq)
            $0.append(message.sender)
            $0.append(message.messageId)
            $0.append(ByteBuffer(bytes: message.digest))
            $0.append(message.kind)
            $0.append(message.caseId)
            $0.append(Int64(message.priority))
            $0.append(message.recipients.joined(separator: ","))
            $0.append(message.acceptedAt)
            $0.append(ByteBuffer(bytes: message.body))
        }
    }

    /// Inserts the message rows whose key (sender, id) is not stored yet; the seqs stored.
    static func insertMessages(_ messages: PostgresValueRows, _ session: PostgresSession) throws -> Set<Int64> {
        var stored: Set<Int64> = []
        let answers = try session.run(messages) {
            """
            INSERT INTO messages (seq, sender, message_id, digest, kind, case_id, priority, recipients, accepted_at,
                                  body)
            \($0)
            ON CONFLICT (sender, message_id) DO NOTHING RETURNING seq
            """
        }
        for answer in answers {
            for row in answer.rows { stored.insert(try row.decode(Int64.self)) }
        }
        return stored
    }

    static func newDeliveryRows() -> PostgresValueRows {
        PostgresValueRows("bigint", "text")
    }

    /// The pending deliveries of the stored message `seq`, one per recipient, counted in the node backlogs.
    mutating func addDeliveries(of message: NewMessage, seq: Int64, to deliveries: inout PostgresValueRows) {
        for recipient in message.recipients {
            deliveries.append {
                $0.append(seq)
                $0.append(recipient)
            }
            backlog.delivery(recipient, 1)
            rows += 1
        }
    }

    static func insertDeliveries(_ deliveries: PostgresValueRows, _ session: PostgresSession) throws {
        try session.run(deliveries) { "INSERT INTO deliveries (seq, recipient) \($0)" }
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
