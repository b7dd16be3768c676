import GRDB
import ReferralProtocol

// The reads of the operators' repair commands (ADMIN-1 DEAD-LETTERS, DEAD-LETTER, HELD) and the paged read of a
// released lane. An open dead letter is a delivery row with state 2 and no `discarded_at` (v9-repair): the partial
// index `deliveries_dead` (recipient, seq) holds exactly those, so dead letters cost nothing to the usual traffic.
extension BrokerStore {
    static let deadLetterColumns = """
        d.seq, d.recipient, m.sender, m.message_id, m.kind, m.case_id, m.priority, d.done_at, d.reason, d.attempts
        """

    /// Open dead letters matching the filter, by (seq, recipient), at most `filter.limit`. Only the open dead letters
    /// index is read (`INDEXED BY`: without statistics SQLite would rather scan every delivery for the ORDER BY).
    public func deadLetters(_ filter: DeadLetterFilter) throws -> [DeadLetterRecord] {
        try read("deadLetters") { db in
            var conditions = ["d.state = 2", "d.discarded_at IS NULL"]
            var arguments: [(any DatabaseValueConvertible)?] = []
            func add(_ condition: String, _ values: (any DatabaseValueConvertible)?...) {
                conditions.append(condition)
                arguments += values
            }
            if let recipient = filter.recipient { add("d.recipient = ?", recipient) }
            if let sender = filter.sender { add("m.sender = ?", sender) }
            if let kind = filter.kind { add("m.kind = ?", kind) }
            // instr: a literal substring (LIKE would read % and _ as patterns and ignore case).
            if let text = filter.reasonContains { add("instr(coalesce(d.reason, ''), ?) > 0", text) }
            if let before = filter.before { add("d.done_at <= ?", before) }
            if let since = filter.since { add("d.done_at >= ?", since) }
            if let after = filter.after {
                add("(d.seq > ? OR (d.seq = ? AND d.recipient > ?))", after.seq, after.seq, after.recipient)
            }
            arguments.append(filter.limit)
            let rows = try Row.fetchCursor(
                db,
                sql: """
                    SELECT \(Self.deadLetterColumns) FROM deliveries d INDEXED BY deliveries_dead
                    JOIN messages m ON m.seq = d.seq
                    WHERE \(conditions.joined(separator: " AND ")) ORDER BY d.seq, d.recipient LIMIT ?
                    """, arguments: StatementArguments(arguments))
            var result: [DeadLetterRecord] = []
            while let row = try rows.next() { result.append(Self.deadLetter(row)) }
            return result
        }
    }

    /// One open dead letter with its message's headers, its body's size and SHA-256 (nil once purged) and the
    /// message's trail for this recipient; nil when (seq, recipient) is not an open dead letter.
    public func deadLetter(seq: Int64, recipient: String) throws -> DeadLetterDetail? {
        let found: (DeadLetterRecord, [String], Int64, [UInt8]?)? = try read("deadLetter") { db in
            guard
                let row = try Row.fetchOne(
                    db,
                    sql: """
                        SELECT \(Self.deadLetterColumns), m.recipients, m.accepted_at, m.body
                        FROM deliveries d JOIN messages m ON m.seq = d.seq
                        WHERE d.seq = ? AND d.recipient = ? AND d.state = 2 AND d.discarded_at IS NULL
                        """, arguments: [seq, recipient])
            else { return nil }
            let body = row[12] as DatabaseValue
            var bytes: [UInt8]?
            if case .blob(let data) = body.storage { bytes = [UInt8](data) }
            let recipients: String = row[10]
            return (Self.deadLetter(row), Self.splitRecipients(recipients), row[11], bytes)
        }
        guard let (letter, recipients, acceptedAt, body) = found else { return nil }
        let trail = try trail(sender: letter.sender, messageId: letter.messageId).filter {
            $0.recipient == nil || $0.recipient == recipient
        }
        return DeadLetterDetail(
            letter: letter, recipients: recipients, acceptedAt: acceptedAt, bodyOctets: body?.count,
            bodySHA256: body.map { SHA256.hash($0) }, trail: trail)
    }

    /// Held lanes (optionally of one recipient), by case id then recipient, at most `limit`, each with how many of
    /// its deliveries are open (through `messages_case`: a case has few messages).
    public func heldLanes(recipient: String?, limit: Int) throws -> [HeldLaneRecord] {
        try read("heldLanes") { db in
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT h.case_id, h.recipient, h.seq, h.since, h.reason,
                        (SELECT count(*) FROM messages m JOIN deliveries d ON d.seq = m.seq AND d.recipient = h.recipient
                         WHERE m.case_id = h.case_id AND d.state = 0)
                    FROM held_cases h WHERE ?1 IS NULL OR h.recipient = ?1 ORDER BY h.case_id, h.recipient LIMIT ?2
                    """, arguments: [recipient, limit])
            return rows.map { row in
                HeldLaneRecord(
                    held: HeldCase(caseId: row[0], recipient: row[1], seq: row[2], since: row[3], reason: row[4]),
                    waiting: row[5])
            }
        }
    }

    /// The open deliveries of one (case, recipient) lane with seq in (`afterSeq`, `throughSeq`], by seq, at most
    /// `limit`: a released lane read back a page at a time. Through `messages_case` (the case's messages, in seq
    /// order) and the deliveries' primary key: a page costs the case's messages, not the recipient's backlog.
    public func laneDeliveries(
        recipient: String, caseId: String, afterSeq: Int64, throughSeq: Int64, limit: Int
    ) throws -> [OpenDelivery] {
        try read("laneDeliveries") { db in
            let rows = try Row.fetchCursor(
                db,
                sql: """
                    SELECT d.seq, d.recipient, m.sender, m.message_id, m.case_id, m.priority, d.attempts, m.accepted_at
                    FROM messages m JOIN deliveries d ON d.seq = m.seq AND d.recipient = ?
                    WHERE m.case_id = ? AND m.seq > ? AND m.seq <= ? AND d.state = 0 ORDER BY m.seq LIMIT ?
                    """, arguments: [recipient, caseId, afterSeq, throughSeq, limit])
            var result: [OpenDelivery] = []
            while let row = try rows.next() {
                result.append(
                    OpenDelivery(
                        seq: row[0], recipient: row[1], sender: row[2], messageId: row[3], caseId: row[4],
                        priority: row[5], attempts: row[6], acceptedAt: row[7]))
            }
            return result
        }
    }

    static func deadLetter(_ row: Row) -> DeadLetterRecord {
        DeadLetterRecord(
            seq: row[0], recipient: row[1], sender: row[2], messageId: row[3], kind: row[4], caseId: row[5],
            priority: row[6], deadLetteredAt: row[7] ?? 0, reason: row[8] ?? "", attempts: row[9])
    }
}
