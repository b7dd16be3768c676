import PostgresNIO
import StoreModel

/// An operator's repair (ADMIN-1 REDRIVE, DISCARD, RELEASE) inside the batch's transaction on PostgreSQL (`Batch+Repair`
/// on SQLite): the change, its trail events, `node_backlog` (a re-opened delivery counts again) and the audit record,
/// all or nothing.
extension PostgresBatch {
    mutating func repair(_ unit: RepairUnit) throws -> RepairResult {
        switch unit.action {
        case .redrive(let seq, let recipient, let to, let check):
            return try redrive(seq: seq, recipient: recipient, to: to, check: check, unit)
        case .discard(let seq, let recipient):
            guard let letter = try openDeadLetter(seq: seq, recipient: recipient) else { return .notFound }
            rows += try session.query(
                "UPDATE deliveries SET discarded_at = \(unit.at) WHERE seq = \(seq) AND recipient = \(recipient)"
            ).rowCount
            try trailEvent(unit, seq: seq, recipient: recipient, .discarded, "operator=\(unit.operatorName)")
            let released = try releaseHeld(by: letter.record, unit)
            try audit(unit, letter.record)
            return .discarded(letter.record, released: released)
        case .release(let caseId, let recipient):
            guard
                let held = try Self.heldCase(
                    session.query(
                        """
                        DELETE FROM held_cases WHERE case_id = \(caseId) AND recipient = \(recipient)
                        RETURNING case_id, recipient, seq, since, reason
                        """))
            else { return .notFound }
            rows += 1
            try trailEvent(unit, seq: held.seq, recipient: recipient, .released, "operator=\(unit.operatorName)")
            var record = unit.audit
            record.seq = held.seq
            try append(record)
            return .released(held)
        }
    }

    /// A dead letter and what its message row says (nil: not an open dead letter).
    private struct Letter {
        var record: DeadLetterRecord
        var receiptId: Int64?
        var bodyPurged: Bool
        var acceptedAt: Int64
    }

    private func openDeadLetter(seq: Int64, recipient: String) throws -> Letter? {
        guard
            let row = try session.query(
                """
                SELECT d.seq, d.recipient, m.sender, m.message_id, m.kind, m.case_id, m.priority, d.done_at, d.reason,
                       d.attempts, d.receipt_id, m.body IS NULL, m.accepted_at
                FROM deliveries d JOIN messages m ON m.seq = d.seq
                WHERE d.seq = \(seq) AND d.recipient = \(recipient) AND d.state = 2 AND d.discarded_at IS NULL
                """
            ).rows.first
        else { return nil }
        let (seq, recipient, sender, messageId, kind, caseId, priority, doneAt, reason, attempts) = try row.decode(
            (Int64, String, String, String, String, String?, Int64, Int64?, String?, Int64).self)
        let columns = Array(row)
        let receiptId = try columns[10].decode(Int64?.self)
        let bodyPurged = try columns[11].decode(Bool.self)
        let acceptedAt = try columns[12].decode(Int64.self)
        let record = DeadLetterRecord(
            seq: seq, recipient: recipient, sender: sender, messageId: messageId, kind: kind, caseId: caseId,
            priority: Int(priority), deadLetteredAt: doneAt ?? 0, reason: reason ?? "", attempts: Int(attempts))
        return Letter(record: record, receiptId: receiptId, bodyPurged: bodyPurged, acceptedAt: acceptedAt)
    }

    private mutating func redrive(
        seq: Int64, recipient: String, to: String?, check: @Sendable (String, String) -> String?, _ unit: RepairUnit
    ) throws -> RepairResult {
        guard let letter = try openDeadLetter(seq: seq, recipient: recipient) else { return .notFound }
        guard !letter.bodyPurged else { return .bodyPurged }
        let record = letter.record
        var detail = "operator=\(unit.operatorName)"
        let target = to ?? recipient
        if let to {
            if to == recipient {
                return .refused("\(to) is the dead letter's own recipient: redrive it without \"to\"")
            }
            if let why = check(record.sender, record.kind) { return .refused(why) }
            let exists = try session.query(
                "SELECT EXISTS (SELECT 1 FROM deliveries WHERE seq = \(seq) AND recipient = \(to))"
            ).rows.first.map { try $0.decode(Bool.self) }
            if exists == true { return .refused("\(to) is already a recipient of message seq \(seq)") }
            // The dead letter is closed for good (its dead-lettered line and receipt stay on the trail); the message
            // goes to the corrected node as a new delivery.
            rows += try session.query(
                "UPDATE deliveries SET discarded_at = \(unit.at) WHERE seq = \(seq) AND recipient = \(recipient)"
            ).rowCount
            rows += try session.query("INSERT INTO deliveries (seq, recipient) VALUES (\(seq), \(to))").rowCount
            detail += "; to=\(to)"
        } else {
            // The row is reused: what the trail derived from it (dead-lettered, its receipt) is kept as events first.
            try trailEvent(
                at: record.deadLetteredAt, seq: seq, recipient: recipient, .deadLettered, record.attempts, record.reason
            )
            if let receiptId = letter.receiptId {
                rows += try session.query(
                    """
                    INSERT INTO events (at, seq, recipient, event, attempt, detail)
                    SELECT at, seq, recipient, 'receipt-created', CAST(NULL AS bigint),
                           'receipt=' || id || ' dead-lettered'
                    FROM receipts WHERE id = \(receiptId)
                    UNION ALL
                    SELECT confirmed_at, seq, recipient, 'receipt-confirmed', CAST(NULL AS bigint), 'receipt=' || id
                    FROM receipts WHERE id = \(receiptId) AND confirmed_at IS NOT NULL
                    """
                ).rowCount
            }
            rows += try session.query(
                """
                UPDATE deliveries SET state = 0, attempts = 0, first_attempt_at = NULL, done_at = NULL, reason = NULL,
                receipt_id = NULL WHERE seq = \(seq) AND recipient = \(recipient)
                """
            ).rowCount
        }
        backlog.delivery(target, 1)
        try trailEvent(unit, seq: seq, recipient: recipient, .redriven, detail)
        let released = try releaseHeld(by: record, unit)
        try audit(unit, record)
        return .redriven(
            delivery: OpenDelivery(
                seq: seq, recipient: target, sender: record.sender, messageId: record.messageId, caseId: record.caseId,
                priority: record.priority, attempts: 0, acceptedAt: letter.acceptedAt),
            released: released)
    }

    /// Releases the lane this dead letter holds, if it holds one (a later dead letter of the case may hold it now).
    private mutating func releaseHeld(by record: DeadLetterRecord, _ unit: RepairUnit) throws -> HeldCase? {
        guard let caseId = record.caseId,
            let held = try Self.heldCase(
                session.query(
                    """
                    DELETE FROM held_cases WHERE case_id = \(caseId) AND recipient = \(record.recipient)
                      AND seq = \(record.seq)
                    RETURNING case_id, recipient, seq, since, reason
                    """))
        else { return nil }
        rows += 1
        try trailEvent(unit, seq: record.seq, recipient: record.recipient, .released, "operator=\(unit.operatorName)")
        return held
    }

    /// The held lane a `DELETE … RETURNING case_id, recipient, seq, since, reason` gave back, if any.
    private static func heldCase(_ result: PostgresQueryResult) throws -> HeldCase? {
        guard let row = result.rows.first else { return nil }
        let (caseId, recipient, seq, since, reason) = try row.decode((String, String, Int64, Int64, String).self)
        return HeldCase(caseId: caseId, recipient: recipient, seq: seq, since: since, reason: reason)
    }

    private mutating func audit(_ unit: RepairUnit, _ record: DeadLetterRecord) throws {
        var event = unit.audit
        event.seq = record.seq
        event.messageId = record.messageId
        event.kind = record.kind
        try append(event)
    }

    private mutating func trailEvent(
        _ unit: RepairUnit, seq: Int64, recipient: String, _ event: TrailEventName, _ detail: String
    ) throws {
        try trailEvent(at: unit.at, seq: seq, recipient: recipient, event, nil, detail)
    }

    private mutating func trailEvent(
        at: Int64, seq: Int64, recipient: String, _ event: TrailEventName, _ attempt: Int?, _ detail: String?
    ) throws {
        rows += try session.query(
            """
            INSERT INTO events (at, seq, recipient, event, attempt, detail)
            VALUES (\(at), \(seq), \(recipient), \(event.rawValue), \(attempt.map(Int64.init)), \(detail))
            """
        ).rowCount
    }
}
