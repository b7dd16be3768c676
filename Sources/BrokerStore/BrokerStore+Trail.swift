import GRDB

// The trail of a message is derived from the columns the ordinary path writes anyway, plus the rare rows of
// `events`:
//   "accepted"            messages.accepted_at (detail: kind, priority, case, recipients)
//   "delivery-attempt"    deliveries.first_attempt_at, attempt 1
//   <event name>          events rows as stored (nack, ack timeout, session lost, attempt >= 2, duplicate send,
//                         held: a delivery waiting behind a dead letter of its case)
//   "acked"               deliveries.done_at, attempt = attempts
//   "dead-lettered"       deliveries.done_at, attempt = attempts, detail = reason
//   "receipt-created"     receipts.at, detail = receipt id and outcome
//   "receipt-confirmed"   receipts.confirmed_at
//   "body-purged"         messages.body_purged_at, detail = the body's size (retention: the body is gone)
// Sorted by time, then seq, then the order above, then recipient, then insertion order. Bodies never appear.

extension BrokerStore {
    /// The trail of one message (empty if unknown).
    public func trail(sender: String, messageId: String) throws -> [TrailEntry] {
        try read("trail") { db in
            let heads = try Row.fetchAll(
                db, sql: "SELECT \(TrailBuilder.headColumns) FROM messages WHERE sender = ? AND message_id = ?",
                arguments: [sender, messageId])
            return try TrailBuilder.build(db, heads: heads)
        }
    }

    /// The trail of every message of a case, merged in time order (empty if unknown).
    public func trail(caseId: String) throws -> [TrailEntry] {
        try read("trail") { db in
            let heads = try Row.fetchAll(
                db, sql: "SELECT \(TrailBuilder.headColumns) FROM messages WHERE case_id = ? ORDER BY seq",
                arguments: [caseId])
            return try TrailBuilder.build(db, heads: heads)
        }
    }
}

private enum TrailBuilder {
    static let headColumns =
        "seq, sender, message_id, kind, priority, case_id, recipients, accepted_at, body_purged_at, body_size"

    static func build(_ db: Database, heads: [Row]) throws -> [TrailEntry] {
        let deliveries = try db.cachedStatement(
            sql: """
                SELECT d.recipient, d.state, d.attempts, d.first_attempt_at, d.done_at, d.reason,
                       r.id, r.outcome, r.at, r.confirmed_at
                FROM deliveries d LEFT JOIN receipts r ON r.id = d.receipt_id
                WHERE d.seq = ? ORDER BY d.recipient
                """)
        let events = try db.cachedStatement(
            sql: "SELECT id, at, recipient, event, attempt, detail FROM events WHERE seq = ? ORDER BY id")
        var lines = Lines()
        for head in heads {
            lines.message = head
            lines.accepted(head)
            let deliveryRows = try Row.fetchCursor(deliveries, arguments: [lines.seq])
            while let row = try deliveryRows.next() { lines.delivery(row) }
            let eventRows = try Row.fetchCursor(events, arguments: [lines.seq])
            while let row = try eventRows.next() { try lines.event(row) }
        }
        return lines.sorted()
    }

    /// The lines of the messages read so far, each with its sort key.
    private struct Lines {
        private var keyed: [RankedTrailEntry] = []
        /// The head row (`headColumns`) of the message whose lines are being added.
        var message: Row = Row()
        var seq: Int64 { message[0] }

        private mutating func add(
            _ rank: Int, _ tie: Int64, at: Int64, _ event: TrailEventName, _ recipient: String?, _ attempt: Int?,
            _ detail: String?
        ) {
            keyed.append(
                RankedTrailEntry(
                    entry: TrailEntry(
                        at: at, event: event, seq: seq, messageId: message[2], sender: message[1],
                        recipient: recipient, attempt: attempt, detail: detail),
                    rank: rank, tie: tie))
        }

        mutating func accepted(_ head: Row) {
            let kind: String = head[3]
            let priority: Int = head[4]
            let caseId: String? = head[5]
            let recipients: String = head[6]
            var accepted = "kind=\(kind) priority=\(["routine", "urgent", "crisis"][min(max(priority, 0), 2)])"
            if let caseId { accepted += " case=\(caseId)" }
            accepted += " recipients=\(recipients)"
            add(0, 0, at: head[7], .accepted, nil, nil, accepted)
            if let purgedAt: Int64 = head[8] {
                let size: Int64? = head[9]
                add(7, 0, at: purgedAt, .bodyPurged, nil, nil, size.map { "bytes=\($0)" })
            }
        }

        /// A delivery row: its first attempt, its end, its receipt and the receipt's confirmation.
        mutating func delivery(_ row: Row) {
            let recipient: String = row[0]
            let state: Int = row[1]
            let attempts: Int = row[2]
            if let first: Int64 = row[3] {
                add(1, 0, at: first, .deliveryAttempt, recipient, 1, nil)
            }
            if state != 0, let done: Int64 = row[4] {
                if state == 1 {
                    add(3, 0, at: done, .acked, recipient, attempts, nil)
                } else {
                    add(3, 0, at: done, .deadLettered, recipient, attempts, row[5])
                }
            }
            if let receiptId: Int64 = row[6] {
                let outcome: Int = row[7]
                let created: Int64 = row[8]
                let what = outcome == 0 ? "delivered" : "dead-lettered"
                add(5, receiptId, at: created, .receiptCreated, recipient, nil, "receipt=\(receiptId) \(what)")
                if let confirmed: Int64 = row[9] {
                    add(6, receiptId, at: confirmed, .receiptConfirmed, recipient, nil, "receipt=\(receiptId)")
                }
            }
        }

        /// A stored trail event.
        mutating func event(_ row: Row) throws {
            let text: String = row[3]
            guard let event = TrailEventName(rawValue: text) else {
                throw DatabaseError(message: "trail event row of seq \(seq) has an unknown name")
            }
            add(2, row[0], at: row[1], event, row[2], row[4], row[5])
        }

        func sorted() -> [TrailEntry] { RankedTrailEntry.inTrailOrder(keyed) }
    }
}
