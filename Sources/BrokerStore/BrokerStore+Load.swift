import Foundation
import GRDB

extension BrokerStore {
    /// One recipient's pending deliveries after `afterSeq`, in seq order, through the partial index
    /// `deliveries_open` (recipient, seq): a page costs its own rows, whatever the backlog. The broker does not
    /// persist "in flight": after a restart every open delivery is pending.
    public func openDeliveries(recipient: String, afterSeq: Int64, limit: Int) throws -> [OpenDelivery] {
        try read("openDeliveries") { db in
            let rows = try Row.fetchCursor(
                db,
                sql: """
                    SELECT d.seq, d.recipient, m.sender, m.message_id, m.case_id, m.priority, d.attempts, m.accepted_at
                    FROM deliveries d JOIN messages m ON m.seq = d.seq
                    WHERE d.recipient = ? AND d.seq > ? AND d.state = 0 ORDER BY d.seq LIMIT ?
                    """, arguments: [recipient, afterSeq, limit])
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

    /// One sender's unconfirmed receipts after `afterId`, in id order, through the partial index `receipts_open`.
    public func unconfirmedReceipts(sender: String, afterId: Int64, limit: Int) throws -> [ReceiptRecord] {
        try read("unconfirmedReceipts") { db in
            let rows = try Row.fetchCursor(
                db,
                sql: """
                    SELECT r.id, r.sender, r.seq, m.message_id, r.recipient, r.outcome, r.at, r.reason
                    FROM receipts r JOIN messages m ON m.seq = r.seq
                    WHERE r.sender = ? AND r.id > ? AND r.confirmed_at IS NULL ORDER BY r.id LIMIT ?
                    """, arguments: [sender, afterId, limit])
            var result: [ReceiptRecord] = []
            while let row = try rows.next() {
                result.append(
                    ReceiptRecord(
                        id: row[0], sender: row[1], seq: row[2], messageId: row[3], recipient: row[4],
                        outcome: row[5], at: row[6], reason: row[7]))
            }
            return result
        }
    }

    /// Recipient -> pending deliveries and sender -> unconfirmed receipts: one row per node of `node_backlog` (kept
    /// exact by each batch, schemas v7 and v8), so start-up does not count the backlog.
    public func openDeliveryCounts() throws -> [String: Int] {
        try read("openDeliveryCounts") { db in try Self.counts(db, of: "open_deliveries") }
    }

    public func unconfirmedReceiptCounts() throws -> [String: Int] {
        try read("unconfirmedReceiptCounts") { db in try Self.counts(db, of: "unconfirmed_receipts") }
    }

    private static func counts(_ db: Database, of column: String) throws -> [String: Int] {
        try counts(db, sql: "SELECT node, \(column) FROM node_backlog WHERE \(column) > 0")
    }

    private static func counts(_ db: Database, sql: String) throws -> [String: Int] {
        let rows = try Row.fetchCursor(db, sql: sql)
        var result: [String: Int] = [:]
        while let row = try rows.next() {
            result[row[0]] = row[1]
        }
        return result
    }

    /// The highest receipt number ever given, or reserved when an operator accepted a loss (`acceptLoss` raises
    /// AUTOINCREMENT's counter past the lost ones); 0 for a new store.
    public func lastReceiptId() throws -> Int64 {
        try read("lastReceiptId") { db in
            try Int64.fetchOne(
                db,
                sql: """
                    SELECT max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'receipts'), 0),
                               coalesce((SELECT max(id) FROM receipts), 0))
                    """) ?? 0
        }
    }

    /// Every held (case, recipient), ordered by case id then recipient.
    public func loadHeldCases() throws -> [HeldCase] {
        try read("loadHeldCases") { db in
            let rows = try Row.fetchCursor(
                db,
                sql: "SELECT case_id, recipient, seq, since, reason FROM held_cases ORDER BY case_id, recipient")
            var result: [HeldCase] = []
            while let row = try rows.next() {
                result.append(HeldCase(caseId: row[0], recipient: row[1], seq: row[2], since: row[3], reason: row[4]))
            }
            return result
        }
    }

    /// Recipient -> number of dead-lettered deliveries (recipients without any are absent).
    public func deadLetterCounts() throws -> [String: Int] {
        try read("deadLetterCounts") { db in
            try Self.counts(
                db,
                sql: """
                    SELECT recipient, count(*) FROM deliveries WHERE state = 2 AND discarded_at IS NULL
                    GROUP BY recipient
                    """)
        }
    }

    /// The messages with these seqs, bodies included, in no particular order. Unknown seqs, and messages whose
    /// body has been purged, are left out.
    public func loadMessages(seqs: [Int64]) throws -> [StoredMessage] {
        guard !seqs.isEmpty else { return [] }
        return try read("loadMessages") { db in
            let statement = try db.cachedStatement(
                sql: """
                    SELECT seq, sender, message_id, kind, case_id, priority, recipients, accepted_at, body
                    FROM messages WHERE seq = ?
                    """)
            var result: [StoredMessage] = []
            result.reserveCapacity(seqs.count)
            for seq in Set(seqs) {
                guard let row = try Row.fetchOne(statement, arguments: [seq]) else { continue }
                let body = row[8] as DatabaseValue
                guard case .blob(let data) = body.storage else { continue }  // purged (NULL)
                let recipients: String = row[6]
                result.append(
                    StoredMessage(
                        seq: row[0], sender: row[1], messageId: row[2], kind: row[3], caseId: row[4],
                        priority: row[5], recipients: Self.splitRecipients(recipients), acceptedAt: row[7],
                        body: [UInt8](data)))
            }
            return result
        }
    }

    static func splitRecipients(_ joined: String) -> [String] {
        joined.split(separator: ",").map(String.init)
    }
}
