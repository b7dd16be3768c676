import GRDB

/// An operator's repair (ADMIN-1 REDRIVE, DISCARD, RELEASE) inside the batch's transaction: the change, its trail
/// events, `node_backlog` (a re-opened delivery counts again) and the audit record, all or nothing.
extension Batch {
    mutating func repair(_ unit: RepairUnit) throws -> RepairResult {
        switch unit.action {
        case .redrive(let seq, let recipient, let to, let check):
            return try redrive(seq: seq, recipient: recipient, to: to, check: check, unit)
        case .discard(let seq, let recipient):
            guard let letter = try openDeadLetter(seq: seq, recipient: recipient) else { return .notFound }
            try execute(
                "UPDATE deliveries SET discarded_at = ? WHERE seq = ? AND recipient = ?", [unit.at, seq, recipient])
            try trailEvent(unit, seq: seq, recipient: recipient, .discarded, "operator=\(unit.operatorName)")
            let released = try releaseHeld(by: letter.record, unit)
            try audit(unit, letter.record)
            return .discarded(letter.record, released: released)
        case .release(let caseId, let recipient):
            guard
                let row = try Row.fetchOne(
                    db,
                    sql: """
                        DELETE FROM held_cases WHERE case_id = ? AND recipient = ?
                        RETURNING case_id, recipient, seq, since, reason
                        """, arguments: [caseId, recipient])
            else { return .notFound }
            rows += 1
            let held = HeldCase(caseId: row[0], recipient: row[1], seq: row[2], since: row[3], reason: row[4])
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
            let row = try Row.fetchOne(
                db,
                sql: """
                    SELECT \(BrokerStore.deadLetterColumns), d.receipt_id, m.body IS NULL, m.accepted_at
                    FROM deliveries d JOIN messages m ON m.seq = d.seq
                    WHERE d.seq = ? AND d.recipient = ? AND d.state = 2 AND d.discarded_at IS NULL
                    """, arguments: [seq, recipient])
        else { return nil }
        return Letter(record: BrokerStore.deadLetter(row), receiptId: row[10], bodyPurged: row[11], acceptedAt: row[12])
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
            let exists = try Bool.fetchOne(
                db, sql: "SELECT EXISTS (SELECT 1 FROM deliveries WHERE seq = ? AND recipient = ?)",
                arguments: [seq, to])
            if exists == true { return .refused("\(to) is already a recipient of message seq \(seq)") }
            // The dead letter is closed for good (its dead-lettered line and receipt stay on the trail); the message
            // goes to the corrected node as a new delivery.
            try execute(
                "UPDATE deliveries SET discarded_at = ? WHERE seq = ? AND recipient = ?", [unit.at, seq, recipient])
            try execute("INSERT INTO deliveries (seq, recipient) VALUES (?, ?)", [seq, to])
            detail += "; to=\(to)"
        } else {
            // The row is reused: what the trail derived from it (dead-lettered, its receipt) is kept as events first.
            try trailEvent(
                at: record.deadLetteredAt, seq: seq, recipient: recipient, .deadLettered, record.attempts, record.reason
            )
            if let receiptId = letter.receiptId {
                try execute(
                    """
                    INSERT INTO events (at, seq, recipient, event, attempt, detail)
                    SELECT at, seq, recipient, 'receipt-created', NULL, 'receipt=' || id || ' dead-lettered'
                    FROM receipts WHERE id = ?1
                    UNION ALL
                    SELECT confirmed_at, seq, recipient, 'receipt-confirmed', NULL, 'receipt=' || id
                    FROM receipts WHERE id = ?1 AND confirmed_at IS NOT NULL
                    """, [receiptId])
            }
            try execute(
                """
                UPDATE deliveries SET state = 0, attempts = 0, first_attempt_at = NULL, done_at = NULL, reason = NULL,
                receipt_id = NULL WHERE seq = ? AND recipient = ?
                """, [seq, recipient])
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
            let row = try Row.fetchOne(
                db,
                sql: """
                    DELETE FROM held_cases WHERE case_id = ? AND recipient = ? AND seq = ?
                    RETURNING case_id, recipient, seq, since, reason
                    """, arguments: [caseId, record.recipient, record.seq])
        else { return nil }
        rows += 1
        try trailEvent(unit, seq: record.seq, recipient: record.recipient, .released, "operator=\(unit.operatorName)")
        return HeldCase(caseId: row[0], recipient: row[1], seq: row[2], since: row[3], reason: row[4])
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
        try execute(
            "INSERT INTO events (at, seq, recipient, event, attempt, detail) VALUES (?, ?, ?, ?, ?, ?)",
            [at, seq, recipient, event.rawValue, attempt, detail])
    }

    private mutating func execute(_ sql: String, _ arguments: StatementArguments) throws {
        try db.execute(sql: sql, arguments: arguments)
        rows += db.changesCount
    }
}
