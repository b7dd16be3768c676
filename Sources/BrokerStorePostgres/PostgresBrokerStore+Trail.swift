import PostgresNIO
import StoreModel

// The trail of a message or a case (BrokerStore+Trail.swift on SQLite, same lines in the same order): derived from
// the message, delivery and receipt columns plus the rare `events` rows. Three statements however many messages:
// the heads, then their deliveries (with receipts) and their events through `= ANY` of the seqs.

extension PostgresBrokerStore {
    public func trail(sender: String, messageId: String) throws -> [TrailEntry] {
        try reading("trail") {
            try trail(
                heads: session.query(
                    """
                    SELECT \(unescaped: PostgresTrailLines.headColumns) FROM messages
                    WHERE sender = \(sender) AND message_id = \(messageId)
                    """))
        }
    }

    public func trail(caseId: String) throws -> [TrailEntry] {
        try reading("trail") {
            try trail(
                heads: session.query(
                    """
                    SELECT \(unescaped: PostgresTrailLines.headColumns) FROM messages
                    WHERE case_id = \(caseId) ORDER BY seq
                    """))
        }
    }

    private func trail(heads result: PostgresQueryResult) throws -> [TrailEntry] {
        let heads = try result.rows.map { try PostgresTrailLines.Head($0) }
        guard !heads.isEmpty else { return [] }
        let seqs = heads.map(\.seq)
        var deliveries: [Int64: [PostgresRow]] = [:]
        for row in try session.query(
            """
            SELECT d.seq, d.recipient, d.state, d.attempts, d.first_attempt_at, d.done_at, d.reason,
                   r.id, r.outcome, r.at, r.confirmed_at
            FROM deliveries d LEFT JOIN receipts r ON r.id = d.receipt_id
            WHERE d.seq = ANY(\(seqs)) ORDER BY d.seq, d.recipient COLLATE "C"
            """
        ).rows {
            deliveries[try row.decode(Int64.self), default: []].append(row)
        }
        var events: [Int64: [PostgresRow]] = [:]
        for row in try session.query(
            "SELECT seq, id, at, recipient, event, attempt, detail FROM events WHERE seq = ANY(\(seqs)) ORDER BY id"
        ).rows {
            events[try row.decode(Int64.self), default: []].append(row)
        }
        var lines = PostgresTrailLines()
        for head in heads {
            lines.accepted(head)
            for row in deliveries[head.seq] ?? [] { try lines.delivery(row, of: head) }
            for row in events[head.seq] ?? [] { try lines.event(row, of: head) }
        }
        return lines.sorted()
    }
}

/// The lines of the messages read so far, each with its sort key: by time, then seq, then the rank of its kind
/// (accepted, first attempt, events, end, receipt, confirmation, purge), then recipient, then insertion order.
struct PostgresTrailLines {
    static let headColumns =
        "seq, sender, message_id, kind, priority, case_id, recipients, accepted_at, body_purged_at, body_size"

    /// A message row (`headColumns`).
    struct Head {
        var seq: Int64
        var sender: String
        var messageId: String
        var kind: String
        var priority: Int
        var caseId: String?
        var recipients: String
        var acceptedAt: Int64
        var purgedAt: Int64?
        var bodySize: Int64?

        init(_ row: PostgresRow) throws {
            (seq, sender, messageId, kind, priority, caseId, recipients, acceptedAt, purgedAt, bodySize) =
                try row.decode((Int64, String, String, String, Int, String?, String, Int64, Int64?, Int64?).self)
        }
    }

    private var keyed: [RankedTrailEntry] = []

    private mutating func add(
        _ head: Head, _ rank: Int, _ tie: Int64, at: Int64, _ event: TrailEventName, _ recipient: String?,
        _ attempt: Int?, _ detail: String?
    ) {
        keyed.append(
            RankedTrailEntry(
                entry: TrailEntry(
                    at: at, event: event, seq: head.seq, messageId: head.messageId, sender: head.sender,
                    recipient: recipient, attempt: attempt, detail: detail),
                rank: rank, tie: tie))
    }

    mutating func accepted(_ head: Head) {
        let priority = ["routine", "urgent", "crisis"][min(max(head.priority, 0), 2)]
        var accepted = "kind=\(head.kind) priority=\(priority)"
        if let caseId = head.caseId { accepted += " case=\(caseId)" }
        accepted += " recipients=\(head.recipients)"
        add(head, 0, 0, at: head.acceptedAt, .accepted, nil, nil, accepted)
        if let purgedAt = head.purgedAt {
            add(head, 7, 0, at: purgedAt, .bodyPurged, nil, nil, head.bodySize.map { "bytes=\($0)" })
        }
    }

    /// A delivery row: its first attempt, its end, its receipt and the receipt's confirmation.
    mutating func delivery(_ row: PostgresRow, of head: Head) throws {
        let (_, recipient, state, attempts, first, done, reason, receiptId, outcome, created, confirmed) =
            try row.decode((Int64, String, Int, Int, Int64?, Int64?, String?, Int64?, Int?, Int64?, Int64?).self)
        if let first {
            add(head, 1, 0, at: first, .deliveryAttempt, recipient, 1, nil)
        }
        if state != 0, let done {
            if state == 1 {
                add(head, 3, 0, at: done, .acked, recipient, attempts, nil)
            } else {
                add(head, 3, 0, at: done, .deadLettered, recipient, attempts, reason)
            }
        }
        if let receiptId, let outcome, let created {
            let what = outcome == 0 ? "delivered" : "dead-lettered"
            add(head, 5, receiptId, at: created, .receiptCreated, recipient, nil, "receipt=\(receiptId) \(what)")
            if let confirmed {
                add(head, 6, receiptId, at: confirmed, .receiptConfirmed, recipient, nil, "receipt=\(receiptId)")
            }
        }
    }

    /// A stored trail event.
    mutating func event(_ row: PostgresRow, of head: Head) throws {
        let (_, id, at, recipient, text, attempt, detail) = try row.decode(
            (Int64, Int64, Int64, String?, String, Int?, String?).self)
        guard let event = TrailEventName(rawValue: text) else {
            throw PostgresStoreError(
                operation: "trail", cause: "trail event row of seq \(head.seq) has an unknown name", kind: .statement)
        }
        add(head, 2, id, at: at, event, recipient, attempt, detail)
    }

    func sorted() -> [TrailEntry] { RankedTrailEntry.inTrailOrder(keyed) }
}
