import PostgresNIO
import StoreModel

// Retention (issue 10) on PostgreSQL: `BrokerStore+Purge`'s step with the same walk (`PurgeWalk`), without
// SQLite's page work: the body becomes NULL (PostgreSQL has no secure_delete and no incremental vacuum; autovacuum
// reuses the space, so `pagesFreed` is 0). Purged bytes stay in the WAL, the standbys' WAL and base backups until
// those age out.
extension PostgresBrokerStore {
    /// Looks at up to `step.limit` messages whose body is still stored, after `step.afterSeq` in seq order (the
    /// `messages_unpurged` index), and purges those the periods allow. The walk is finished when it meets a message
    /// accepted after the periods' horizon or runs out of messages. The run's audit record goes with its last step.
    public func purgeBodies(_ step: PurgeStep) throws -> PurgeStepResult {
        // Made inside the transaction: after a reconnect the session and the audit tip are new.
        var made: PostgresBatch?
        let result: PurgeStepResult = try writeTransaction("purge") {
            var batch = PostgresBatch(session: session, store: self)
            defer { made = batch }
            var result = step.skipped
            if let walk = PurgeWalk(step) { result = try purgeStep(walk) }
            // The run's record goes with the purges of its last step (those of earlier steps were committed before it).
            let total = step.runCounts + result.counts
            if result.finished, let event = total.auditEvent(at: step.issuedAt, operators: step.operators) {
                try batch.append(event)
                result.audit = event
            }
            return result
        }
        guard let batch = made else { return result }
        counters.transactions += 1
        counters.rowsWritten += result.purgedSeqs.count + (result.audit == nil ? 0 : 1)
        auditTipId = batch.auditId  // committed: the chain goes on from here
        auditTipHash = batch.auditHash
        return result
    }

    private func purgeStep(_ start: PurgeWalk) throws -> PurgeStepResult {
        var walk = start
        let step = walk.step
        let candidates = try session.query(Self.purgeCandidatesQuery(afterSeq: step.afterSeq, limit: step.limit)).rows
        for row in candidates {
            let (seq, acceptedAt, open, lastDead, lastSettled, status, updatedAt) = try row.decode(
                (Int64, Int64, Int64, Int64?, Int64?, String?, Int64?).self)
            let candidate = PurgeCandidate(
                seq: seq, acceptedAt: acceptedAt, openDeliveries: Int(open), lastDeadLetterAt: lastDead,
                lastSettledAt: lastSettled, caseStatus: status, caseUpdatedAt: updatedAt)
            guard walk.examine(candidate) else { break }
        }
        for decision in walk.decisions {
            let changed = try session.query(
                """
                UPDATE messages SET body_size = length(body), body = NULL, body_purged_at = \(step.now)
                WHERE seq = \(decision.seq) AND body_purged_at IS NULL
                """
            ).rowCount
            if changed > 0 { walk.purged(decision) }
        }
        return walk.result()
    }

    /// The step's page of candidates and their facts, on `messages_unpurged` (PostgresIndexUseTests EXPLAINs it).
    static func purgeCandidatesQuery(afterSeq: Int64, limit: Int) -> PostgresQuery {
        """
        SELECT m.seq, m.accepted_at,
            (SELECT count(*) FROM deliveries d WHERE d.seq = m.seq AND d.state = 0),
            (SELECT max(d.done_at) FROM deliveries d WHERE d.seq = m.seq AND d.state = 2),
            (SELECT max(d.done_at) FROM deliveries d WHERE d.seq = m.seq AND d.state != 0),
            c.status, c.updated_at
        FROM messages m LEFT JOIN cases c ON c.case_id = m.case_id
        WHERE m.body_purged_at IS NULL AND m.seq > \(afterSeq) ORDER BY m.seq LIMIT \(Int64(limit))
        """
    }

    /// Refused: a PostgreSQL store is backed up as a cluster, not by the broker.
    public func backup(to path: String) throws -> Int64 {
        throw BackupRefused(
            description: "the store is on PostgreSQL: back up the cluster with pg_basebackup (or through Patroni), "
                + "not with the broker's backup")
    }
}
