import Foundation
import GRDB
import SQLiteRaw

/// One batch of units inside its transaction. Statements come from GRDB's per-connection statement cache
/// (`cachedStatement`), looked up at most once per batch. Nothing is carried from one unit to the next but the
/// audit chain's tip, the highest seq and the per-node backlog changes.
struct Batch {
    let db: Database
    var rows = 0
    /// The audit chain's tip as this batch advances it.
    var audit: AuditChain
    /// The highest seq this batch gave a message (0: none).
    var highestSeq: Int64 = 0
    /// Whether an open deadline without a case may exist (nil: not looked at yet in this batch).
    var openCaselessDeadline: Bool?
    /// The deliveries and receipts this batch opened and closed, per node (written by `BrokerStore.run` at its end).
    var backlog = BacklogDeltas()

    var insertMessage: Statement?
    var selectByKey: Statement?
    var insertDelivery: Statement?
    var insertReceipt: Statement?
    var finishDelivery: Statement?
    var insertHeld: Statement?
    var confirmReceipt: Statement?
    var insertEvent: Statement?
    var insertAudit: Statement?

    init(db: Database, audit: AuditChain) {
        self.db = db
        self.audit = audit
    }

    static func cached(_ db: Database, _ slot: inout Statement?, _ sql: String) throws -> Statement {
        if let statement = slot { return statement }
        let statement = try db.cachedStatement(sql: sql)
        slot = statement
        return statement
    }

    mutating func run(_ unit: StoreUnit) throws -> UnitResult {
        switch unit {
        case .accept(let accept):
            return try self.accept(accept)
        case .fire(let fire):
            return try self.fire(fire)
        case .settle(let settlement):
            return try settle(settlement) ? .settled : .notPending
        case .confirmReceipt(let id, let at):
            // The sender it names leaves the backlog only if the receipt was unconfirmed (a row is returned).
            let statement = try Self.cached(
                db, &confirmReceipt,
                "UPDATE receipts SET confirmed_at = ? WHERE id = ? AND confirmed_at IS NULL RETURNING sender")
            var raw = RawStatement(statement)
            try raw.bind(at)
            try raw.bind(id)
            if let sender = try raw.fetchRow({ RawStatement.text($0, 0) }), let sender {
                backlog.receipt(sender, -1)
                rows += 1
            }
            return .done
        case .audit(let event):
            try append(event)
            return .done
        case .trail(let event):
            let statement = try Self.cached(
                db, &insertEvent,
                "INSERT INTO events (at, seq, recipient, event, attempt, detail) VALUES (?, ?, ?, ?, ?, ?)")
            try statement.execute(
                arguments: [event.at, event.seq, event.recipient, event.event.rawValue, event.attempt, event.detail])
            rows += 1
            return .done
        case .putCase(let record):
            try DeadlineWrites.putCase(record, db)
            rows += 1
            return .done
        case .setDeadline(let deadline):
            return .deadlineSet(id: try insertDeadline(deadline, armedBy: nil))
        case .closeDeadlines(let closing, let at):
            let count = try DeadlineWrites.close(closing, at: at, db)
            rows += count
            return .closed(count: count)
        case .repair(let repair):
            return .repaired(try self.repair(repair))
        case .nodeOverride(let node, let override, let audit):
            try writeOverride(node: node, override)
            if let audit { try append(audit) }
            return .done
        case .moveBacklog(let move):
            return .moved(try moveBacklog(move))
        }
    }

    /// An open deadline; one without a case makes `settle` look for case-less delivery deadlines.
    private mutating func insertDeadline(_ deadline: NewDeadline, armedBy: Int64?) throws -> Int64 {
        let id = try DeadlineWrites.insert(deadline, armedBy: armedBy, db)
        rows += 1
        if deadline.caseId == nil { openCaselessDeadline = true }
        return id
    }

    mutating func append(_ event: AuditEvent) throws {
        try audit.append(event, insert: try Self.cached(db, &insertAudit, AuditChain.insertSQL))
        rows += 1
    }

    /// The message, then (only if it is stored) its case move, deadlines, closes and audit record. A case move is
    /// decided before anything is written: a refused one writes nothing.
    private mutating func accept(_ unit: AcceptUnit) throws -> UnitResult {
        var caseRow: CaseRecord?
        var endsCase = false
        if let check = unit.caseMove {
            if let existing = try storedKey(unit.message) { return .accepted(existing) }
            switch check.decide(try DeadlineWrites.caseRecord(id: check.caseId, db)) {
            case .refuse(let code, let reason): return .caseRefused(code: code, reason: reason)
            case .move(let record, let ends): (caseRow, endsCase) = (record, ends)
            }
        }
        let result = try insert(unit.message)
        guard case .stored(let seq) = result else { return .accepted(result) }
        let at = unit.message.acceptedAt
        if let caseRow {
            try DeadlineWrites.putCase(caseRow, db)
            rows += 1
            if endsCase {
                rows += try DeadlineWrites.close(.inCase(caseRow.caseId, item: nil, state: .cancelled), at: at, db)
            }
        }
        for deadline in unit.deadlines {
            _ = try insertDeadline(deadline, armedBy: seq)
        }
        for closing in unit.closes {
            rows += try DeadlineWrites.close(closing, at: at, db)
        }
        if var record = unit.audit {
            if record.seq == nil { record.seq = seq }
            try append(record)
        }
        return .accepted(result)
    }

    /// Only if the deadline is still open: fired (or exhausted), its next step stored, its notice accepted and the
    /// escalation audited.
    private mutating func fire(_ unit: FireUnit) throws -> UnitResult {
        guard try DeadlineWrites.fire(id: unit.deadlineId, at: unit.at, exhausted: unit.next == nil, db) else {
            return .notFired
        }
        rows += 1
        var nextId: Int64?
        if let next = unit.next {
            nextId = try insertDeadline(next, armedBy: nil)
        }
        var notice: AcceptResult?
        if let accept = unit.notice, case .accepted(let result) = try self.accept(accept) { notice = result }
        if let record = unit.audit { try append(record) }
        return .fired(nextId: nextId, notice: notice)
    }
}
