import GRDB
import StoreModel

// Retention (issue 10): one step of a purge run, in a transaction of its own. The store reads each candidate's
// facts (its open and settled deliveries, its case row) and `PurgeWalk` decides (the walk PostgreSQL's store takes
// too). Only the body goes: the row with its digest, its deliveries, receipts, trail events and the audit trail stay,
// so TRAIL, CASE and `audit verify` are unchanged. Freed pages are given back to the file system in the same
// transaction (a store made with `auto_vacuum = INCREMENTAL`; in an older store SQLite reuses them for new rows).
extension BrokerStore {
    /// Looks at up to `step.limit` messages whose body is still stored, after `step.afterSeq` in seq order (the
    /// `messages_unpurged` index), purges those the periods allow, then runs `PRAGMA incremental_vacuum`. The walk is
    /// finished when it meets a message accepted after the periods' horizon or runs out of messages.
    public func purgeBodies(_ step: PurgeStep) throws -> PurgeStepResult {
        let start = auditTip
        var tip = start
        let result: PurgeStepResult = try write("purge") { db in
            var result = step.skipped
            try db.inTransaction(.immediate) {
                if let walk = PurgeWalk(step) { result = try Self.purgeStep(db, walk) }
                // The run's record goes with the purges of its last step (those of earlier steps were committed
                // before it: a crash in between leaves them recorded only on each message's trail).
                let total = step.runCounts + result.counts
                if result.finished, let event = total.auditEvent(at: step.issuedAt, operators: step.operators) {
                    var batch = Batch(db: db, audit: start)
                    try batch.append(event)
                    tip = batch.audit
                    result.audit = event
                }
                return .commit
            }
            return result
        }
        counters.transactions += 1
        counters.rowsWritten += result.purgedSeqs.count + (result.audit == nil ? 0 : 1)
        auditTip = tip  // committed: the chain goes on from here
        if tip != start || markBehind { advanceMark() }
        return result
    }

    private static func purgeStep(_ db: Database, _ start: PurgeWalk) throws -> PurgeStepResult {
        // Purged bytes are overwritten with zeros, not left in the page's free space or on free pages where a copy of
        // the file would still hold them (Debian's SQLite is built with it on; other builds may not be).
        try db.execute(sql: "PRAGMA secure_delete = ON")
        let select = try db.cachedStatement(
            sql: """
                SELECT m.seq, m.accepted_at,
                    (SELECT count(*) FROM deliveries d WHERE d.seq = m.seq AND d.state = 0),
                    (SELECT max(d.done_at) FROM deliveries d WHERE d.seq = m.seq AND d.state = 2),
                    (SELECT max(d.done_at) FROM deliveries d WHERE d.seq = m.seq AND d.state != 0),
                    c.status, c.updated_at
                FROM messages m INDEXED BY messages_unpurged LEFT JOIN cases c ON c.case_id = m.case_id
                WHERE m.body_purged_at IS NULL AND m.seq > ? ORDER BY m.seq LIMIT ?
                """)
        let purge = try db.cachedStatement(
            sql: """
                UPDATE messages SET body_size = length(body), body = NULL, body_purged_at = ?
                WHERE seq = ? AND body_purged_at IS NULL
                """)
        var walk = start
        let step = walk.step
        let rows = try Row.fetchCursor(select, arguments: [step.afterSeq, step.limit])
        while let row = try rows.next() {
            let candidate = PurgeCandidate(
                seq: row[0], acceptedAt: row[1], openDeliveries: row[2], lastDeadLetterAt: row[3],
                lastSettledAt: row[4], caseStatus: row[5], caseUpdatedAt: row[6])
            guard walk.examine(candidate) else { break }
        }
        for decision in walk.decisions {
            try purge.execute(arguments: [step.now, decision.seq])
            if db.changesCount > 0 { walk.purged(decision) }
        }
        var pagesFreed = 0
        if !walk.purgedSeqs.isEmpty, step.vacuumPages > 0 {
            let before = try Int.fetchOne(db, sql: "PRAGMA page_count") ?? 0
            try db.execute(sql: "PRAGMA incremental_vacuum(\(step.vacuumPages))")
            pagesFreed = before - (try Int.fetchOne(db, sql: "PRAGMA page_count") ?? before)
        }
        return walk.result(pagesFreed: pagesFreed)
    }
}
