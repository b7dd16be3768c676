import Foundation
import GRDB
import SQLiteRaw

extension BrokerStore {
    /// Applies a batch as ONE `BEGIN IMMEDIATE` transaction (one commit, one fsync): the broker's group commit.
    /// Returns one result per op, in op order. On any error the whole batch is rolled back and a
    /// `BrokerStoreError` is thrown: the caller must treat every op of the batch as not stored.
    /// An empty batch does nothing (no transaction).
    public func apply(_ ops: [StoreOp]) throws -> [StoreOpResult] {
        guard !ops.isEmpty else { return [] }
        var rows = 0
        let start = auditTip
        var tip = start
        var seq = highestSeq
        let results: [StoreOpResult] = try write("apply") { db in
            var results: [StoreOpResult] = []
            try db.inTransaction(.immediate) {
                results.removeAll(keepingCapacity: true)
                results.reserveCapacity(ops.count)
                var batch = Batch(db: db, audit: start, tiesAudit: ops.contains(where: \.isAudit))
                for op in ops {
                    results.append(try batch.apply(op))
                }
                rows = batch.rows
                tip = batch.audit
                seq = max(seq, batch.highestSeq)
                return .commit
            }
            return results
        }
        counters.transactions += 1
        counters.rowsWritten += rows
        auditTip = tip  // committed: the chain goes on from here
        let moved = tip != start || seq != highestSeq
        highestSeq = seq
        if moved || markBehind { advanceMark() }
        return results
    }

    /// Whether the high-water mark file could not be written after the last commits (the daemon logs it).
    public var isMarkBehind: Bool { markBehind }

    /// Writes the high-water mark after a commit that moved it, before the batch's results (ACCEPTED, ...) can
    /// go out: one small write and one `fdatasync` per such group commit. The batch IS committed, so a failure
    /// does not fail it; the mark stays behind (a later batch writes it) and `apply` goes on: a mark that lags
    /// only weakens the roll-back check, it never refuses a store that is whole.
    private func advanceMark() {
        do {
            try mark?.write(position)
            markBehind = false
        } catch {
            markBehind = true
        }
    }
}

/// One batch inside its transaction. Statements come from GRDB's per-connection statement cache
/// (`cachedStatement`), looked up at most once per batch.
private struct Batch {
    let db: Database
    var rows = 0

    private var insertMessage: Statement?
    private var selectByKey: Statement?
    private var insertDelivery: Statement?
    private var selectPending: Statement?
    private var insertReceipt: Statement?
    private var finishDelivery: Statement?
    private var insertHeld: Statement?
    private var confirmReceipt: Statement?
    private var insertEvent: Statement?
    private var insertAudit: Statement?
    private var closeDelivery: Statement?
    private var closeDeliveryOfCase: Statement?
    /// The delivery the latest `finish` settled and its message's case id (read by its SELECT), so that the
    /// `.closeDeliveryDeadline` that follows it binds the case id instead of looking the message up again.
    private var lastFinished: (seq: Int64, recipient: String, caseId: String?)?
    /// The audit chain's tip as this batch advances it.
    var audit: AuditChain
    /// The highest seq this batch gave a message (0: none).
    var highestSeq: Int64 = 0
    /// Whether the latest `.accept` of this batch stored its message (for the `...IfStored` ops).
    private var lastAcceptStored = false
    /// The seq of that stored message (for `.addDeadlineIfStored`).
    private var lastAcceptSeq: Int64 = 0
    /// Whether the latest `.fireDeadline` of this batch fired (for `.acceptIfFired`, `.auditIfFired`).
    private var lastFired = false
    /// Present only when the batch holds an audit op.
    private var ties: AuditTies?

    init(db: Database, audit: AuditChain, tiesAudit: Bool) {
        self.db = db
        self.audit = audit
        self.ties = tiesAudit ? AuditTies() : nil
    }

    private static func cached(_ db: Database, _ slot: inout Statement?, _ sql: String) throws -> Statement {
        if let statement = slot { return statement }
        let statement = try db.cachedStatement(sql: sql)
        slot = statement
        return statement
    }

    mutating func apply(_ op: StoreOp) throws -> StoreOpResult {
        switch op {
        case .accept(let message):
            let result = try accept(message)
            if case .stored(let seq) = result {
                lastAcceptStored = true
                lastAcceptSeq = seq
            } else {
                lastAcceptStored = false
            }
            ties?.noteAccept(message, result)
            return .accept(result)
        case .acceptTracked(let message, let check):
            if let existing = try storedKey(message) {
                lastAcceptStored = false
                ties?.noteAccept(message, existing)
                return .accept(existing)
            }
            switch check.decide(try CaseWrites.caseRecord(id: check.caseId, db)) {
            case .refuse(let code, let reason):
                lastAcceptStored = false
                ties?.noteUnchanged(message)
                return .caseRefused(code: code, reason: reason)
            case .move(let record, let endsCase):
                let result = try apply(.accept(message))
                guard case .accept(.stored) = result else { return result }
                _ = try CaseWrites.apply(.upsertCase(record), db, rows: &rows)
                if endsCase {
                    _ = try CaseWrites.apply(
                        .closeDeadlines(caseId: check.caseId, item: nil, state: .cancelled, at: message.acceptedAt), db,
                        rows: &rows)
                }
                return result
            }
        case .acceptIfFired(let message):
            guard lastFired else { return .none }
            return try apply(.accept(message))
        case .auditIfFired(let event):
            guard lastFired else { return .none }
            return try apply(.audit(event))
        case .addDeadlineIfStored(var deadline):
            guard lastAcceptStored else { return .none }
            deadline.item = deadline.item.replacingOccurrences(of: "{seq}", with: String(lastAcceptSeq))
            deadline.policy = deadline.policy.replacingOccurrences(of: "{seq}", with: String(lastAcceptSeq))
            return try CaseWrites.apply(.addDeadline(deadline), db, rows: &rows)
        case .closeDeadlinesIfStored(let caseId, let item, let state, let at):
            guard lastAcceptStored else { return .none }
            return try CaseWrites.apply(
                .closeDeadlines(caseId: caseId, item: item, state: state, at: at), db, rows: &rows)
        case .fireDeadline:
            let result = try CaseWrites.apply(op, db, rows: &rows)
            if case .fired = result { lastFired = true } else { lastFired = false }
            return result
        case .delivered(let seq, let recipient, let at, let attempts, let firstAttemptAt):
            let result = try finish(
                seq: seq, recipient: recipient, at: at, attempts: attempts, firstAttemptAt: firstAttemptAt,
                dead: false, reason: nil, holdCase: false)
            ties?.noteFinish(seq: seq, recipient: recipient, dead: false, changed: result != .none)
            return result
        case .deadLettered(let seq, let recipient, let at, let attempts, let firstAttemptAt, let reason, let holdCase):
            let result = try finish(
                seq: seq, recipient: recipient, at: at, attempts: attempts, firstAttemptAt: firstAttemptAt,
                dead: true, reason: reason, holdCase: holdCase)
            ties?.noteFinish(seq: seq, recipient: recipient, dead: true, changed: result != .none)
            return result
        case .receiptConfirmed(let id, let at):
            let statement = try Self.cached(
                db, &confirmReceipt, "UPDATE receipts SET confirmed_at = ? WHERE id = ? AND confirmed_at IS NULL")
            var raw = RawStatement(statement)
            try raw.bind(at)
            try raw.bind(id)
            try raw.run()
            rows += db.changesCount
            return .none
        case .event(let event):
            let statement = try Self.cached(
                db, &insertEvent,
                "INSERT INTO events (at, seq, recipient, event, attempt, detail) VALUES (?, ?, ?, ?, ?, ?)")
            try statement.execute(
                arguments: [event.at, event.seq, event.recipient, event.event.rawValue, event.attempt, event.detail])
            rows += 1
            return .none
        case .audit(let event):
            // `ties` exists whenever the batch holds an audit op; nil from `admit` leaves the record out.
            let admitted: AuditEvent?
            if ties != nil { admitted = ties!.admit(event) } else { admitted = event }
            guard let event = admitted else { return .none }
            try audit.append(event, insert: try Self.cached(db, &insertAudit, AuditChain.insertSQL))
            rows += 1
            return .none
        case .meetFollowUpVisitIfStored, .closeFollowUpIfStored:
            guard lastAcceptStored else { return .none }
            return try CaseWrites.apply(op, db, rows: &rows)
        case .closeDeliveryDeadline(let seq, let recipient, let at):
            // One per delivered message: the same UPDATE as `CaseWrites.apply`, bound through the C API. Right
            // after the `.delivered` it belongs to (the usual case), the message's case id is known already.
            if let last = lastFinished, last.seq == seq, last.recipient == recipient {
                var update = RawStatement(
                    try Self.cached(db, &closeDeliveryOfCase, CaseWrites.closeDeliveryOfCaseSQL))
                try update.bind(at)
                try update.bind(last.caseId)
                try update.bind("delivery:\(seq):\(recipient)")
                try update.run()
            } else {
                var update = RawStatement(try Self.cached(db, &closeDelivery, CaseWrites.closeDeliverySQL))
                try update.bind(at)
                try update.bind(seq)
                try update.bind("delivery:\(seq):\(recipient)")
                try update.run()
            }
            let count = db.changesCount
            rows += count
            return .closedDeadlines(count: count)
        case .upsertCase, .addDeadline, .closeDeadlines, .meetFollowUpVisit, .closeFollowUp:
            return try CaseWrites.apply(op, db, rows: &rows)
        }
    }

    private mutating func accept(_ message: NewMessage) throws -> AcceptResult {
        // `ifnull(?, x'')`: SQLite binds an empty buffer as NULL; an empty body or digest must stay a BLOB.
        let insert = try Self.cached(
            db, &insertMessage,
            """
            INSERT INTO messages (sender, message_id, digest, kind, case_id, priority, recipients, accepted_at, body)
            VALUES (?, ?, ifnull(?, x''), ?, ?, ?, ?, ?, ifnull(?, x''))
            ON CONFLICT (sender, message_id) DO NOTHING
            """)
        var raw = RawStatement(insert)
        try raw.bind(message.sender)
        try raw.bind(message.messageId)
        try raw.bindBlob(message.digest)
        try raw.bind(message.kind)
        try raw.bind(message.caseId)
        try raw.bind(message.priority)
        try raw.bind(message.recipients.joined(separator: ","))
        try raw.bind(message.acceptedAt)
        try raw.bindBlob(message.body)
        try raw.run()
        if db.changesCount == 1 {
            let seq = db.lastInsertedRowID
            highestSeq = max(highestSeq, seq)
            rows += 1
            let delivery = try Self.cached(
                db, &insertDelivery, "INSERT INTO deliveries (seq, recipient, state, attempts) VALUES (?, ?, 0, 0)")
            for recipient in message.recipients {
                var raw = RawStatement(delivery)
                try raw.bind(seq)
                try raw.bind(recipient)
                try raw.run()
                rows += 1
            }
            return .stored(seq: seq)
        }
        // The key exists (stored earlier, possibly earlier in this very batch).
        guard let existing = try storedKey(message) else {
            throw DatabaseError(message: "message insert ignored but no row holds its key")
        }
        return existing
    }

    /// `.duplicate` or `.conflict` when the message's key (sender, id) is already stored; nil when it is not.
    private mutating func storedKey(_ message: NewMessage) throws -> AcceptResult? {
        let select = try Self.cached(
            db, &selectByKey, "SELECT seq, digest, recipients FROM messages WHERE sender = ? AND message_id = ?")
        guard let row = try Row.fetchOne(select, arguments: [message.sender, message.messageId]) else { return nil }
        let seq: Int64 = row[0]
        let digest: Data = row[1] ?? Data()
        guard digest.elementsEqual(message.digest) else { return .conflict(existingSeq: seq) }
        // The recipients stored at the first acceptance (comma-joined node ids), not today's resolution.
        let recipients: String = row[2]
        return .duplicate(seq: seq, recipients: recipients.split(separator: ",").count)
    }

    /// Pending delivery -> acked (dead == false) or dead, with its receipt; `.none` if not pending.
    private mutating func finish(
        seq: Int64, recipient: String, at: Int64, attempts: Int, firstAttemptAt: Int64?, dead: Bool,
        reason: String?, holdCase: Bool
    ) throws -> StoreOpResult {
        let select = try Self.cached(
            db, &selectPending,
            """
            SELECT m.sender, m.message_id, m.case_id FROM deliveries d JOIN messages m ON m.seq = d.seq
            WHERE d.seq = ? AND d.recipient = ? AND d.state = 0
            """)
        var query = RawStatement(select)
        try query.bind(seq)
        try query.bind(recipient)
        let found = try query.fetchRow { handle in
            (RawStatement.text(handle, 0) ?? "", RawStatement.text(handle, 1) ?? "", RawStatement.text(handle, 2))
        }
        lastFinished = nil
        guard let (sender, messageId, caseId) = found else { return .none }
        lastFinished = (seq, recipient, caseId)
        let outcome = dead ? 1 : 0

        let receipt = try Self.cached(
            db, &insertReceipt,
            "INSERT INTO receipts (sender, seq, recipient, outcome, at, reason) VALUES (?, ?, ?, ?, ?, ?)")
        var insert = RawStatement(receipt)
        try insert.bind(sender)
        try insert.bind(seq)
        try insert.bind(recipient)
        try insert.bind(outcome)
        try insert.bind(at)
        try insert.bind(reason)
        try insert.run()
        let receiptId = db.lastInsertedRowID

        let update = try Self.cached(
            db, &finishDelivery,
            """
            UPDATE deliveries SET state = ?, attempts = ?, first_attempt_at = ?, done_at = ?, reason = ?,
            receipt_id = ? WHERE seq = ? AND recipient = ?
            """)
        var change = RawStatement(update)
        try change.bind(dead ? 2 : 1)
        try change.bind(attempts)
        try change.bind(firstAttemptAt)
        try change.bind(at)
        try change.bind(reason)
        try change.bind(receiptId)
        try change.bind(seq)
        try change.bind(recipient)
        try change.run()
        rows += 2

        if dead, holdCase, let caseId {
            let hold = try Self.cached(
                db, &insertHeld,
                """
                INSERT INTO held_cases (case_id, recipient, seq, since, reason) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT (case_id, recipient) DO NOTHING
                """)
            try hold.execute(arguments: [caseId, recipient, seq, at, reason ?? ""])
            rows += db.changesCount
        }
        return .receipt(
            ReceiptRecord(
                id: receiptId, sender: sender, seq: seq, messageId: messageId, recipient: recipient,
                outcome: outcome, at: at, reason: reason))
    }
}

extension StoreOp {
    fileprivate var isAudit: Bool {
        if case .audit = self { return true }
        if case .auditIfFired = self { return true }
        return false
    }
}
