import PostgresNIO
import ReferralProtocol
import StoreModel

// The reads of the operators' repair commands (ADMIN-1 DEAD-LETTERS, DEAD-LETTER, HELD) and the paged read of a
// released lane (BrokerStore+Repair.swift on SQLite, same results). An open dead letter is a delivery with state 2
// and no `discarded_at`: exactly the rows of the partial index `deliveries_dead`.

extension PostgresBrokerStore {
    static let deadLetterColumns = """
        d.seq, d.recipient, m.sender, m.message_id, m.kind, m.case_id, m.priority, d.done_at, d.reason, d.attempts
        """

    /// Open dead letters matching the filter, by (seq, recipient) in binary text order, at most `filter.limit`.
    public func deadLetters(_ filter: DeadLetterFilter) throws -> [DeadLetterRecord] {
        let query = Self.deadLettersQuery(filter)
        return try reading("deadLetters") {
            try session.query(query).rows.map { try Self.deadLetter($0) }
        }
    }

    /// `deadLetters`' statement, on `deliveries_dead` (PostgresIndexUseTests EXPLAINs it).
    static func deadLettersQuery(_ filter: DeadLetterFilter) -> PostgresQuery {
        var query = PostgresQueryBuilder("")
        var conditions = ["d.state = 2", "d.discarded_at IS NULL"]
        if let recipient = filter.recipient { conditions.append("d.recipient = \(query.bind(recipient))") }
        if let sender = filter.sender { conditions.append("m.sender = \(query.bind(sender))") }
        if let kind = filter.kind { conditions.append("m.kind = \(query.bind(kind))") }
        // strpos: a literal, case-sensitive substring (as SQLite's instr; LIKE would read % and _ as patterns).
        if let text = filter.reasonContains {
            conditions.append("strpos(coalesce(d.reason, ''), \(query.bind(text))) > 0")
        }
        if let before = filter.before { conditions.append("d.done_at <= \(query.bind(before))") }
        if let since = filter.since { conditions.append("d.done_at >= \(query.bind(since))") }
        if let after = filter.after {
            let seq = query.bind(after.seq)
            let recipient = query.bind(after.recipient)
            conditions.append("(d.seq > \(seq) OR (d.seq = \(seq) AND d.recipient COLLATE \"C\" > \(recipient)))")
        }
        let limit = query.bind(Self.limit(filter.limit))
        query.sql = """
            SELECT \(Self.deadLetterColumns) FROM deliveries d JOIN messages m ON m.seq = d.seq
            WHERE \(conditions.joined(separator: " AND ")) ORDER BY d.seq, d.recipient COLLATE "C" LIMIT \(limit)
            """
        return query.query
    }

    /// One open dead letter with its message's headers, its body's size and SHA-256 (nil once purged) and the
    /// message's trail for this recipient; nil when (seq, recipient) is not an open dead letter.
    public func deadLetter(seq: Int64, recipient: String) throws -> DeadLetterDetail? {
        let found: (DeadLetterRecord, [String], Int64, [UInt8]?)? = try reading("deadLetter") {
            guard
                let row = try session.query(
                    """
                    SELECT \(unescaped: Self.deadLetterColumns), m.recipients, m.accepted_at, m.body
                    FROM deliveries d JOIN messages m ON m.seq = d.seq
                    WHERE d.seq = \(seq) AND d.recipient = \(recipient) AND d.state = 2 AND d.discarded_at IS NULL
                    """
                ).rows.first
            else { return nil }
            let columns = row.makeRandomAccess()
            let recipients = try columns[10].decode(String.self)
            let acceptedAt = try columns[11].decode(Int64.self)
            let body = try columns[12].decode(ByteBuffer?.self).map { Array(buffer: $0) }
            return (try Self.deadLetter(row), Self.splitRecipients(recipients), acceptedAt, body)
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
    /// its deliveries are open (through `messages_case`).
    public func heldLanes(recipient: String?, limit: Int) throws -> [HeldLaneRecord] {
        try reading("heldLanes") {
            try session.query(
                """
                SELECT h.case_id, h.recipient, h.seq, h.since, h.reason,
                    (SELECT count(*) FROM messages m JOIN deliveries d ON d.seq = m.seq AND d.recipient = h.recipient
                     WHERE m.case_id = h.case_id AND d.state = 0)
                FROM held_cases h WHERE \(recipient)::text IS NULL OR h.recipient = \(recipient)
                ORDER BY h.case_id COLLATE "C", h.recipient COLLATE "C" LIMIT \(Self.limit(limit))
                """
            ).rows.map { row in
                let (caseId, recipient, seq, since, reason, waiting) = try row.decode(
                    (String, String, Int64, Int64, String, Int).self)
                return HeldLaneRecord(
                    held: HeldCase(caseId: caseId, recipient: recipient, seq: seq, since: since, reason: reason),
                    waiting: waiting)
            }
        }
    }

    /// A released lane's open deliveries with seq in (`afterSeq`, `throughSeq`], by seq, at most `limit`: through
    /// `messages_case` and the deliveries' primary key.
    public func laneDeliveries(
        recipient: String, caseId: String, afterSeq: Int64, throughSeq: Int64, limit: Int
    ) throws -> [OpenDelivery] {
        try reading("laneDeliveries") {
            try session.query(
                """
                SELECT d.seq, d.recipient, m.sender, m.message_id, m.case_id, m.priority, d.attempts, m.accepted_at
                FROM messages m JOIN deliveries d ON d.seq = m.seq AND d.recipient = \(recipient)
                WHERE m.case_id = \(caseId) AND m.seq > \(afterSeq) AND m.seq <= \(throughSeq) AND d.state = 0
                ORDER BY m.seq LIMIT \(Self.limit(limit))
                """
            ).rows.map { row in
                let (seq, recipient, sender, messageId, caseId, priority, attempts, acceptedAt) = try row.decode(
                    (Int64, String, String, String, String?, Int, Int, Int64).self)
                return OpenDelivery(
                    seq: seq, recipient: recipient, sender: sender, messageId: messageId, caseId: caseId,
                    priority: priority, attempts: attempts, acceptedAt: acceptedAt)
            }
        }
    }

    /// A row starting with `deadLetterColumns`.
    static func deadLetter(_ row: PostgresRow) throws -> DeadLetterRecord {
        let columns = row.makeRandomAccess()
        return DeadLetterRecord(
            seq: try columns[0].decode(Int64.self), recipient: try columns[1].decode(String.self),
            sender: try columns[2].decode(String.self), messageId: try columns[3].decode(String.self),
            kind: try columns[4].decode(String.self), caseId: try columns[5].decode(String?.self),
            priority: try columns[6].decode(Int.self), deadLetteredAt: try columns[7].decode(Int64?.self) ?? 0,
            reason: try columns[8].decode(String?.self) ?? "", attempts: try columns[9].decode(Int.self))
    }
}
