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
                results[index] = try runAlone(unit)
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
        var deliveries = Self.newDeliveryRows()
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
                addDeliveries(of: unit.message, seq: seq, to: &deliveries)
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
        try Self.insertDeliveries(deliveries, session)
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
        var records = Self.newAuditRows()
        for (_, item) in items {
            let record: AuditEvent
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
            addAudit(record, to: &records)
        }
        try Self.insertAudit(records, session)
    }
}
