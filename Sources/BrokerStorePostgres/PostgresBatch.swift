import PostgresNIO
import StoreModel

/// One batch of units inside its transaction on PostgreSQL, with `Batch`'s (BrokerStore) meaning: runs of plain units
/// table by table in multi-row statements (`runAll`, `PostgresPlainRun`), every other unit alone, one statement at
/// a time (POSTGRES-PLAN §4). The numbers the database does not give (seqs, deadline
/// ids, audit ids) are counted here from the store's tips; the store takes them over only once the batch committed.
/// "Stored or not" comes from the command tag's row count (`metadata.rows`) or the rows `RETURNING` gives back.
struct PostgresBatch {
    let session: PostgresSession
    var rows = 0
    /// The audit chain's tip as this batch advances it.
    var auditId: Int64
    var auditHash: [UInt8]
    /// The highest seq, deadline id and receipt number given so far (the store's, then this batch's).
    var highestSeq: Int64
    var highestDeadlineId: Int64
    var highestReceiptId: Int64
    /// The highest seq was used up by a message that was not stored (a duplicate or CONFLICT): no row holds it, so
    /// `store_identity.seq_floor` must, or a reopen would give it again (SQLite keeps it in sqlite_sequence).
    var seqUsedWithoutRow = false
    /// Whether an open deadline without a case may exist (nil: not looked at yet in this batch).
    var openCaselessDeadline: Bool?
    /// The deliveries and receipts this batch opened and closed, per node (written at the batch's end).
    var backlog = PostgresBacklogDeltas()

    init(session: PostgresSession, store: PostgresBrokerStore) {
        self.session = session
        auditId = store.auditTipId
        auditHash = store.auditTipHash
        highestSeq = store.highestSeq
        highestDeadlineId = store.highestDeadlineId
        highestReceiptId = store.highestReceiptId
    }

    /// What the batch writes after its units: the `node_backlog` upserts, and the seq floor when the highest seq
    /// given has no row.
    func finish() throws {
        try backlog.write(session)
        if seqUsedWithoutRow {
            try session.query("UPDATE store_identity SET seq_floor = greatest(seq_floor, \(highestSeq))")
        }
    }

    /// A unit that is not plain, alone, one statement at a time.
    mutating func runAlone(_ unit: StoreUnit) throws -> UnitResult {
        switch unit {
        case .accept(let accept):
            return try self.accept(accept)
        case .fire(let fire):
            return try self.fire(fire)
        case .settle, .confirmReceipt, .trail, .audit:
            // `runAll` writes these in runs (`PostgresPlainRun.isPlain`); never one by one.
            throw PostgresStoreError(
                operation: "run", cause: "a plain unit reached the one-by-one path", kind: .statement)
        case .putCase(let record):
            try PostgresDeadlineWrites.putCase(record, session)
            rows += 1
            return .done
        case .setDeadline(let deadline):
            return .deadlineSet(id: try insertDeadline(deadline, armedBy: nil))
        case .closeDeadlines(let closing, let at):
            let count = try PostgresDeadlineWrites.close(closing, at: at, session)
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

    /// An open deadline numbered after the highest; one without a case makes `settle` look for case-less delivery
    /// deadlines.
    private mutating func insertDeadline(_ deadline: NewDeadline, armedBy: Int64?) throws -> Int64 {
        let id = highestDeadlineId + 1
        try PostgresDeadlineWrites.insert(deadline, id: id, armedBy: armedBy, session)
        highestDeadlineId = id
        rows += 1
        if deadline.caseId == nil { openCaselessDeadline = true }
        return id
    }

    /// Appends `event` as record `auditId + 1`, chained with the hash both backends compute.
    mutating func append(_ event: AuditEvent) throws {
        var records = Self.newAuditRows()
        addAudit(event, to: &records)
        try Self.insertAudit(records, session)
    }

    /// Numbers `event` as record `auditId + 1`, chains it and adds its row to `records` (`insertAudit` writes them).
    mutating func addAudit(_ event: AuditEvent, to records: inout PostgresValueRows) {
        let event = AuditChainHash.normalized(event)
        let id = auditId + 1
        let hash = AuditChainHash.chainHash(previous: auditHash, id: id, event)
        records.append {
            $0.append(id)
            $0.append(event.at)
            $0.append(event.event)
            $0.append(event.node)
            $0.append(event.peer)
            $0.append(event.keyFingerprint)
            $0.append(event.messageId)
            $0.append(event.seq)
            $0.append(event.recipient)
            $0.append(event.kind)
            $0.append(event.code)
            $0.append(event.detail)
            $0.append(ByteBuffer(bytes: hash))
        }
        auditId = id
        auditHash = hash
        rows += 1
    }

    static func newAuditRows() -> PostgresValueRows {
        PostgresValueRows(
            "bigint", "bigint", "text", "text", "text", "text", "text", "bigint", "text", "text", "text", "text",
            "bytea")
    }

    static func insertAudit(_ records: PostgresValueRows, _ session: PostgresSession) throws {
        try session.run(records) {
            """
            INSERT INTO audit (id, at, event, node, peer, key_fingerprint, message_id, seq, recipient, kind, code,
                               detail, hash)
            \($0)
            """
        }
    }

    /// The message, then (only if it is stored) its case move, deadlines, closes and audit record. A case move is
    /// decided before anything is written: a refused one writes nothing.
    private mutating func accept(_ unit: AcceptUnit) throws -> UnitResult {
        var caseRow: CaseRecord?
        var endsCase = false
        if let check = unit.caseMove {
            if let existing = try storedKey(unit.message) { return .accepted(existing) }
            switch check.decide(try PostgresBrokerStore.caseRecord(id: check.caseId, session)) {
            case .refuse(let code, let reason): return .caseRefused(code: code, reason: reason)
            case .move(let record, let ends): (caseRow, endsCase) = (record, ends)
            }
        }
        let result = try insert(unit.message)
        guard case .stored(let seq) = result else { return .accepted(result) }
        let at = unit.message.acceptedAt
        if let caseRow {
            try PostgresDeadlineWrites.putCase(caseRow, session)
            rows += 1
            if endsCase {
                rows += try PostgresDeadlineWrites.close(
                    .inCase(caseRow.caseId, item: nil, state: .cancelled), at: at, session)
            }
        }
        for deadline in unit.deadlines {
            _ = try insertDeadline(deadline, armedBy: seq)
        }
        for closing in unit.closes {
            rows += try PostgresDeadlineWrites.close(closing, at: at, session)
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
        guard try PostgresDeadlineWrites.fire(id: unit.deadlineId, at: unit.at, exhausted: unit.next == nil, session)
        else { return .notFired }
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

extension PostgresQueryResult {
    /// The command tag's row count (`INSERT 0 1`, `UPDATE n`, `DELETE n`): 0 when the tag has none.
    var rowCount: Int { metadata.rows ?? 0 }
}
