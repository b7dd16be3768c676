import PostgresNIO
import StoreModel

// Writing a run of plain units (`PostgresPlainRun`) table by table: a handful of multi-row statements per run,
// whatever its length, with the results, numbers and rows that running its units one by one gives.
extension PostgresBatch {
    /// Runs `units` in order, plain ones gathered in runs; one result per unit.
    mutating func runAll(_ units: [StoreUnit]) throws -> [UnitResult] {
        var results = [UnitResult?](repeating: nil, count: units.count)
        var run = PostgresPlainRun()
        for (index, unit) in units.enumerated() {
            guard PostgresPlainRun.isPlain(unit) else {
                try flush(&run, into: &results)
                results[index] = try self.run(unit)
                continue
            }
            if !run.admits(unit) { try flush(&run, into: &results) }
            run.add(unit, index: index, highestSeq: &highestSeq)
        }
        try flush(&run, into: &results)
        return try results.map {
            guard let result = $0 else {
                throw PostgresStoreError(operation: "run", cause: "a unit was left without a result", kind: .statement)
            }
            return result
        }
    }

    /// Writes the run: messages, deliveries and deadlines; settles with their receipts, met deadlines and held
    /// cases; confirmations; trail events; then the audit records in unit order (their ids and hashes follow what
    /// was stored). Empties `run`.
    private mutating func flush(_ run: inout PostgresPlainRun, into results: inout [UnitResult?]) throws {
        guard !run.isEmpty else { return }
        let items = run.items
        run = PostgresPlainRun()
        let accepted = try storeMessages(items)
        var deliveries = PostgresValueRows("bigint", "text")
        var deadlines = PostgresDeadlineWrites.newRows()
        var settles: [Settlement] = []
        var confirms = PostgresValueRows("bigint", "bigint")
        var trail = PostgresValueRows("bigint", "bigint", "text", "text", "bigint", "text")
        for (index, item) in items {
            switch item {
            case .accept(let unit, let seq):
                guard let result = accepted[seq] else { continue }
                results[index] = .accepted(result)
                guard case .stored = result else { continue }
                rows += 1
                for recipient in unit.message.recipients {
                    deliveries.append {
                        $0.append(seq)
                        $0.append(recipient)
                    }
                    backlog.delivery(recipient, 1)
                    rows += 1
                }
                for deadline in unit.deadlines {
                    highestDeadlineId += 1
                    try PostgresDeadlineWrites.add(deadline, id: highestDeadlineId, armedBy: seq, to: &deadlines)
                    rows += 1
                    if deadline.caseId == nil { openCaselessDeadline = true }
                }
            case .settle(let settlement):
                settles.append(settlement)
            case .confirm(let id, let at):
                results[index] = .done
                confirms.append {
                    $0.append(id)
                    $0.append(at)
                }
            case .trail(let event):
                results[index] = .done
                trail.append {
                    $0.append(event.at)
                    $0.append(event.seq)
                    $0.append(event.recipient)
                    $0.append(event.event.rawValue)
                    $0.append(event.attempt.map(Int64.init))
                    $0.append(event.detail)
                }
                rows += 1
            case .audit:
                results[index] = .done
            }
        }
        try session.run(deliveries) { "INSERT INTO deliveries (seq, recipient) \($0)" }
        try PostgresDeadlineWrites.insert(deadlines, session)
        let settled = try settleAll(settles)
        try confirm(confirms)
        try session.run(trail) { "INSERT INTO events (at, seq, recipient, event, attempt, detail) \($0)" }
        for (index, item) in items {
            if case .settle(let settlement) = item {
                results[index] =
                    settled.contains(.init(seq: settlement.seq, recipient: settlement.recipient))
                    ? .settled : .notPending
            }
        }
        try appendAudit(items, accepted: accepted, settled: settled)
    }

    /// The run's audit records in unit order: an accept's only if its message was stored (with its seq), a
    /// settle's only if its delivery was pending.
    private mutating func appendAudit(
        _ items: [(index: Int, item: PostgresPlainRun.Item)], accepted: [Int64: AcceptResult],
        settled: Set<PostgresPlainRun.DeliveryKey>
    ) throws {
        var records = PostgresValueRows(
            "bigint", "bigint", "text", "text", "text", "text", "text", "bigint", "text", "text", "text", "text",
            "bytea")
        for (_, item) in items {
            var record: AuditEvent
            switch item {
            case .accept(let unit, let seq):
                guard var event = unit.audit, case .stored = accepted[seq] else { continue }
                if event.seq == nil { event.seq = seq }
                record = event
            case .settle(let settlement):
                guard let event = settlement.audit,
                    settled.contains(.init(seq: settlement.seq, recipient: settlement.recipient))
                else { continue }
                record = event
            case .audit(let event):
                record = event
            case .confirm, .trail:
                continue
            }
            record = AuditChainHash.normalized(record)
            let id = auditId + 1
            let hash = AuditChainHash.chainHash(previous: auditHash, id: id, record)
            let event = record
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
        try session.run(records) {
            """
            INSERT INTO audit (id, at, event, node, peer, key_fingerprint, message_id, seq, recipient, kind, code,
                               detail, hash)
            \($0)
            """
        }
    }
}
