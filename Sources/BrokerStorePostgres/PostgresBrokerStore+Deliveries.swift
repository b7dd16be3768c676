import PostgresNIO
import StoreModel

// The reads of deliveries, receipts, held lanes and node rows the broker makes at start-up and after each batch
// (BrokerStore+Load.swift and +Nodes.swift on SQLite, same results), one statement each; the pages run on the partial
// indexes `deliveries_open` and `receipts_open`. Text orders are `COLLATE "C"`: SQLite's binary order, whatever the
// database's locale.

extension PostgresBrokerStore {
    public func openDeliveries(recipient: String, afterSeq: Int64, limit: Int) throws -> [OpenDelivery] {
        let query = Self.openDeliveriesQuery(recipient: recipient, afterSeq: afterSeq, limit: limit)
        return try reading("openDeliveries") {
            try session.query(query).rows.map { row in
                let (seq, recipient, sender, messageId, caseId, priority, attempts, acceptedAt) = try row.decode(
                    (Int64, String, String, String, String?, Int, Int, Int64).self)
                return OpenDelivery(
                    seq: seq, recipient: recipient, sender: sender, messageId: messageId, caseId: caseId,
                    priority: priority, attempts: attempts, acceptedAt: acceptedAt)
            }
        }
    }

    /// `openDeliveries`' statement, on `deliveries_open` (PostgresIndexUseTests EXPLAINs it).
    static func openDeliveriesQuery(recipient: String, afterSeq: Int64, limit: Int) -> PostgresQuery {
        """
        SELECT d.seq, d.recipient, m.sender, m.message_id, m.case_id, m.priority, d.attempts, m.accepted_at
        FROM deliveries d JOIN messages m ON m.seq = d.seq
        WHERE d.recipient = \(recipient) AND d.seq > \(afterSeq) AND d.state = 0
        ORDER BY d.seq LIMIT \(Self.limit(limit))
        """
    }

    public func unconfirmedReceipts(sender: String, afterId: Int64, limit: Int) throws -> [ReceiptRecord] {
        let query = Self.unconfirmedReceiptsQuery(sender: sender, afterId: afterId, limit: limit)
        return try reading("unconfirmedReceipts") {
            try session.query(query).rows.map { row in
                let (id, sender, seq, messageId, recipient, outcome, at, reason) = try row.decode(
                    (Int64, String, Int64, String, String, Int, Int64, String?).self)
                return ReceiptRecord(
                    id: id, sender: sender, seq: seq, messageId: messageId, recipient: recipient, outcome: outcome,
                    at: at, reason: reason)
            }
        }
    }

    /// `unconfirmedReceipts`' statement, on `receipts_open` (PostgresIndexUseTests EXPLAINs it).
    static func unconfirmedReceiptsQuery(sender: String, afterId: Int64, limit: Int) -> PostgresQuery {
        """
        SELECT r.id, r.sender, r.seq, m.message_id, r.recipient, r.outcome, r.at, r.reason
        FROM receipts r JOIN messages m ON m.seq = r.seq
        WHERE r.sender = \(sender) AND r.id > \(afterId) AND r.confirmed_at IS NULL
        ORDER BY r.id LIMIT \(Self.limit(limit))
        """
    }

    /// From `node_backlog`, kept exact by each batch: start-up does not count the backlog.
    public func openDeliveryCounts() throws -> [String: Int] {
        try reading("openDeliveryCounts") {
            try counts("SELECT node, open_deliveries FROM node_backlog WHERE open_deliveries > 0")
        }
    }

    public func unconfirmedReceiptCounts() throws -> [String: Int] {
        try reading("unconfirmedReceiptCounts") {
            try counts("SELECT node, unconfirmed_receipts FROM node_backlog WHERE unconfirmed_receipts > 0")
        }
    }

    public func deadLetterCounts() throws -> [String: Int] {
        try reading("deadLetterCounts") {
            try counts(
                """
                SELECT recipient, count(*) FROM deliveries WHERE state = 2 AND discarded_at IS NULL
                GROUP BY recipient
                """)
        }
    }

    private func counts(_ query: PostgresQuery) throws -> [String: Int] {
        var result: [String: Int] = [:]
        for row in try session.query(query).rows {
            let (key, count) = try row.decode((String, Int).self)
            result[key] = count
        }
        return result
    }

    public func loadHeldCases() throws -> [HeldCase] {
        try reading("loadHeldCases") {
            try session.query(
                """
                SELECT case_id, recipient, seq, since, reason FROM held_cases
                ORDER BY case_id COLLATE "C", recipient COLLATE "C"
                """
            ).rows.map { row in
                let (caseId, recipient, seq, since, reason) = try row.decode(
                    (String, String, Int64, Int64, String).self)
                return HeldCase(caseId: caseId, recipient: recipient, seq: seq, since: since, reason: reason)
            }
        }
    }

    /// The messages with these seqs, bodies included, in no particular order; unknown seqs and purged bodies (NULL)
    /// are left out. One statement for the whole set.
    public func loadMessages(seqs: [Int64]) throws -> [StoredMessage] {
        guard !seqs.isEmpty else { return [] }
        return try reading("loadMessages") {
            try session.query(
                """
                SELECT seq, sender, message_id, kind, case_id, priority, recipients, accepted_at, body
                FROM messages WHERE seq = ANY(\(Array(Set(seqs)))) AND body IS NOT NULL
                """
            ).rows.map { row in
                let (seq, sender, messageId, kind, caseId, priority, recipients, acceptedAt, body) = try row.decode(
                    (Int64, String, String, String, String?, Int, String, Int64, ByteBuffer).self)
                return StoredMessage(
                    seq: seq, sender: sender, messageId: messageId, kind: kind, caseId: caseId, priority: priority,
                    recipients: Self.splitRecipients(recipients), acceptedAt: acceptedAt, body: Array(buffer: body))
            }
        }
    }

    static func splitRecipients(_ joined: String) -> [String] {
        joined.split(separator: ",").map(String.init)
    }

    public func nodeOverrides() throws -> [NodeOverride] {
        try reading("nodeOverrides") {
            try session.query(
                """
                SELECT node, suspended_reason, suspended_by, suspended_at, public_key, directory_key, previous_key,
                       previous_until, rotated_by, rotated_at
                FROM node_overrides ORDER BY node COLLATE "C"
                """
            ).rows.compactMap { row in
                let (
                    node, reason, suspendedBy, suspendedAt, key, directoryKey, previousKey, previousUntil, rotatedBy,
                    rotatedAt
                ) = try row.decode(
                    (String, String?, String?, Int64?, String?, String?, String?, Int64?, String?, Int64?).self)
                var override = NodeOverride(node: node)
                if let reason {
                    override.suspension = NodeOverride.Suspension(
                        reason: reason, by: suspendedBy ?? "", at: suspendedAt ?? 0)
                }
                if let key {
                    override.key = NodeOverride.KeyRotation(
                        publicKey: key, directoryKey: directoryKey ?? "", previousKey: previousKey,
                        previousUntil: previousUntil, by: rotatedBy ?? "", at: rotatedAt ?? 0)
                }
                return override.isEmpty ? nil : override
            }
        }
    }

    /// NODE-BACKLOG's page and the recipient's oldest open delivery in one statement: the oldest through
    /// `deliveries_open` (the lowest seq), the page joined to it laterally (no page row: one row of NULLs).
    public func backlogPage(recipient: String, afterSeq: Int64, limit: Int) throws -> BacklogPage {
        try reading("backlogPage") {
            let rows = try session.query(
                """
                SELECT o.oldest, p.seq, p.sender, p.message_id, p.kind, p.case_id, p.priority, p.accepted_at,
                       p.attempts
                FROM (SELECT (SELECT m.accepted_at FROM deliveries d JOIN messages m ON m.seq = d.seq
                              WHERE d.recipient = \(recipient) AND d.state = 0 ORDER BY d.seq LIMIT 1) AS oldest) o
                LEFT JOIN LATERAL (
                    SELECT d.seq, m.sender, m.message_id, m.kind, m.case_id, m.priority, m.accepted_at, d.attempts
                    FROM deliveries d JOIN messages m ON m.seq = d.seq
                    WHERE d.recipient = \(recipient) AND d.seq > \(afterSeq) AND d.state = 0
                    ORDER BY d.seq LIMIT \(Self.limit(limit).map { $0 < .max ? $0 + 1 : $0 })) p ON true
                ORDER BY p.seq
                """
            ).rows
            var oldest: Int64?
            var deliveries: [BacklogDelivery] = []
            for row in rows {
                let (first, seq, sender, messageId, kind, caseId, priority, since, attempts) = try row.decode(
                    (Int64?, Int64?, String?, String?, String?, String?, Int?, Int64?, Int?).self)
                oldest = first
                guard let seq, let sender, let messageId, let kind, let priority, let since, let attempts else {
                    continue
                }
                deliveries.append(
                    BacklogDelivery(
                        seq: seq, sender: sender, messageId: messageId, kind: kind, caseId: caseId, priority: priority,
                        since: since, attempts: attempts))
            }
            let more = deliveries.count > limit
            return BacklogPage(deliveries: Array(deliveries.prefix(limit)), oldestWaiting: oldest, more: more)
        }
    }
}
