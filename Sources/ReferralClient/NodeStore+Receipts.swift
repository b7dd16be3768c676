import GRDB
import SQLiteRaw

extension NodeStore {
    /// Records a receipt unless its number is recorded already, and appends a new one to the event log. Returns
    /// whether it was new.
    static func insert(_ receipt: DeliveryReceipt, now: Int64, in db: Database) throws -> Bool {
        var insert = RawStatement(
            try db.cachedStatement(
                sql: """
                    INSERT INTO receipts (receipt, seq, message_id, recipient, delivered, at, reason, received_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT (receipt) DO NOTHING
                    """))
        try insert.bind(receipt.receipt)
        try insert.bind(receipt.seq)
        try insert.bind(receipt.messageId)
        try insert.bind(receipt.recipient)
        try insert.bind(receipt.delivered)
        try insert.bind(receipt.at)
        try insert.bind(receipt.reason)
        try insert.bind(now)
        try insert.run()
        guard db.changesCount > 0 else { return false }
        try NodeEventLog.appendReceipt(receipt, now: now, in: db)
        return true
    }

    /// Receipts of one of this node's messages, by receipt number.
    func receipts(forMessage id: String) throws -> [DeliveryReceipt] {
        try read("read receipts") { db in
            try Row.fetchAll(
                db.cachedStatement(
                    sql: """
                        SELECT receipt, seq, message_id, recipient, delivered, at, reason FROM receipts
                        WHERE message_id = ? ORDER BY receipt
                        """), arguments: [id]
            ).map(Self.receipt)
        }
    }

    /// The oldest receipt not yet handed to the application, marked as handed over in the same transaction.
    func takeNextReceipt(now: Int64) throws -> DeliveryReceipt? {
        try write("take receipt") { db in
            guard
                let row = try Row.fetchOne(
                    db,
                    sql: """
                        SELECT receipt, seq, message_id, recipient, delivered, at, reason FROM receipts
                        WHERE reported_at IS NULL ORDER BY receipt LIMIT 1
                        """)
            else { return nil }
            let receipt = Self.receipt(row)
            try db.cachedStatement(sql: "UPDATE receipts SET reported_at = ? WHERE receipt = ?").execute(arguments: [
                now, receipt.receipt,
            ])
            return receipt
        }
    }

    private static func receipt(_ row: Row) -> DeliveryReceipt {
        DeliveryReceipt(
            receipt: row["receipt"], seq: row["seq"], messageId: row["message_id"], recipient: row["recipient"],
            delivered: row["delivered"], at: row["at"], reason: row["reason"])
    }
}

/// Everything the connection thread commits together: answers to SENDs, deliveries and receipts that arrived in
/// one poll round. One transaction, one fsync; the ACKs go out only after it.
struct StoreBatch: Sendable {
    var answers: [OutboxAnswer] = []
    var deliveries: [InboxDelivery] = []
    var receipts: [DeliveryReceipt] = []

    var isEmpty: Bool { answers.isEmpty && deliveries.isEmpty && receipts.isEmpty }
}

/// What a batch changed.
struct BatchResult: Sendable {
    var newMessages = 0
    var newReceipts = 0
    /// Entries appended to the event log.
    var newEvents = 0
    /// The message ids the batch's receipts are for, each once.
    var receiptedMessages: [String] = []
}

extension NodeStore {
    func apply(_ batch: StoreBatch, now: Int64) throws -> BatchResult {
        try write("commit batch") { db in
            var result = BatchResult()
            for answer in batch.answers where try Self.record(answer, now: now, in: db) { result.newEvents += 1 }
            for delivery in batch.deliveries where try Self.insert(delivery, now: now, in: db) {
                result.newMessages += 1
            }
            var seen = Set<String>(minimumCapacity: batch.receipts.count)
            for receipt in batch.receipts {
                if try Self.insert(receipt, now: now, in: db) {
                    result.newReceipts += 1
                    result.newEvents += 1
                }
                if seen.insert(receipt.messageId).inserted { result.receiptedMessages.append(receipt.messageId) }
            }
            // After every receipt of the batch is in (an answer's own UPDATE counted those stored before it).
            for id in result.receiptedMessages { try Self.dropBodyIfReceipted(id: id, in: db) }
            return result
        }
    }
}
