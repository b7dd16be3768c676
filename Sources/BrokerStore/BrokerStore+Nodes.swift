import GRDB
import SQLiteRaw

// Operators' node actions in the store (migration `v10-node-overrides`): the override rows, NODE-BACKLOG's page,
// and NODE-MOVE-BACKLOG's move, each write in the batch's one transaction with its audit record.

extension BrokerStore {
    public func nodeOverrides() throws -> [NodeOverride] {
        try read("nodeOverrides") { db in
            let rows = try Row.fetchCursor(
                db,
                sql: """
                    SELECT node, suspended_reason, suspended_by, suspended_at, public_key, directory_key, previous_key,
                           previous_until, rotated_by, rotated_at
                    FROM node_overrides ORDER BY node
                    """)
            var result: [NodeOverride] = []
            while let row = try rows.next() {
                var override = NodeOverride(node: row[0])
                if let reason: String = row[1] {
                    override.suspension = NodeOverride.Suspension(reason: reason, by: row[2] ?? "", at: row[3] ?? 0)
                }
                if let key: String = row[4] {
                    override.key = NodeOverride.KeyRotation(
                        publicKey: key, directoryKey: row[5] ?? "", previousKey: row[6], previousUntil: row[7],
                        by: row[8] ?? "", at: row[9] ?? 0)
                }
                if !override.isEmpty { result.append(override) }
            }
            return result
        }
    }

    public func backlogPage(recipient: String, afterSeq: Int64, limit: Int) throws -> BacklogPage {
        try read("backlogPage") { db in
            // Through `deliveries_open` (recipient, seq): the oldest open one is the lowest seq.
            let oldest = try Int64.fetchOne(
                db,
                sql: """
                    SELECT m.accepted_at FROM deliveries d JOIN messages m ON m.seq = d.seq
                    WHERE d.recipient = ? AND d.state = 0 ORDER BY d.seq LIMIT 1
                    """, arguments: [recipient])
            let rows = try Row.fetchCursor(
                db,
                sql: """
                    SELECT d.seq, m.sender, m.message_id, m.kind, m.case_id, m.priority, m.accepted_at, d.attempts
                    FROM deliveries d JOIN messages m ON m.seq = d.seq
                    WHERE d.recipient = ? AND d.seq > ? AND d.state = 0 ORDER BY d.seq LIMIT ?
                    """, arguments: [recipient, afterSeq, limit + 1])
            var deliveries: [BacklogDelivery] = []
            while let row = try rows.next() {
                deliveries.append(
                    BacklogDelivery(
                        seq: row[0], sender: row[1], messageId: row[2], kind: row[3], caseId: row[4], priority: row[5],
                        since: row[6], attempts: row[7]))
            }
            let more = deliveries.count > limit
            return BacklogPage(deliveries: Array(deliveries.prefix(limit)), oldestWaiting: oldest, more: more)
        }
    }
}

extension Batch {
    /// Writes (or, empty, deletes) one node's override row.
    mutating func writeOverride(node: String, _ override: NodeOverride?) throws {
        guard let override, !override.isEmpty else {
            try db.execute(sql: "DELETE FROM node_overrides WHERE node = ?", arguments: [node])
            rows += 1
            return
        }
        let suspension = override.suspension
        let key = override.key
        try db.execute(
            sql: """
                INSERT OR REPLACE INTO node_overrides (node, suspended_reason, suspended_by, suspended_at, public_key,
                    directory_key, previous_key, previous_until, rotated_by, rotated_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                node, suspension?.reason, suspension?.by, suspension?.at, key?.publicKey, key?.directoryKey,
                key?.previousKey, key?.previousUntil, key?.by, key?.at,
            ])
        rows += 1
    }

    /// Gives `from`'s open deliveries outside held lanes to `to` (docs/DESIGN.md, "Moving a node's backlog"). A
    /// message `to` already has a delivery of stays with `from` (OR IGNORE: the primary key is (seq, recipient)).
    mutating func moveBacklog(_ move: BacklogMove) throws -> BacklogMoved {
        let seqs = try Int64.fetchAll(
            db,
            sql: """
                UPDATE OR IGNORE deliveries SET recipient = ?1, attempts = 0, first_attempt_at = NULL
                WHERE recipient = ?2 AND state = 0
                  AND NOT EXISTS (SELECT 1 FROM messages m JOIN held_cases h ON h.case_id = m.case_id
                                  WHERE m.seq = deliveries.seq AND h.recipient = ?2)
                RETURNING seq
                """, arguments: [move.to, move.from]
        ).sorted()
        rows += seqs.count
        backlog.delivery(move.from, -seqs.count)
        backlog.delivery(move.to, seqs.count)
        let detail = "from \(move.from) to \(move.to)"
        let insert = try db.cachedStatement(
            sql: "INSERT INTO events (at, seq, recipient, event, attempt, detail) VALUES (?, ?, ?, ?, NULL, ?)")
        for seq in seqs {
            try insert.execute(arguments: [move.at, seq, move.to, TrailEventName.moved.rawValue, detail])
            rows += 1
        }
        rows += try renameDeliveryDeadlines(Set(seqs), move: move)
        var record = move.audit
        record.detail = [record.detail, "moved=\(seqs.count)"].compactMap { $0 }.joined(separator: " ")
        try append(record)
        let counts = try Row.fetchAll(
            db, sql: "SELECT node, open_deliveries FROM node_backlog WHERE node IN (?, ?)",
            arguments: [move.from, move.to])
        var open: [String: Int] = [:]
        for row in counts { open[row[0]] = row[1] }
        // The batch's deltas are written at its end: add this move's own (and any earlier unit's) to what is stored.
        let pending = backlog.byNode
        return BacklogMoved(
            seqs: seqs, fromOpen: (open[move.from] ?? 0) + (pending[move.from]?.deliveries ?? 0),
            toOpen: (open[move.to] ?? 0) + (pending[move.to]?.deliveries ?? 0))
    }

    /// The open delivery deadlines (`delivery:<seq>:<from>`) of the moved seqs name `to` (and its region) from now
    /// on, so that `to`'s ACK meets them. One pass over the open delivery deadlines (moves are rare).
    private mutating func renameDeliveryDeadlines(_ seqs: Set<Int64>, move: BacklogMove) throws -> Int {
        guard !seqs.isEmpty else { return 0 }
        let suffix = ":\(move.from)"
        let rows = try Row.fetchAll(
            db, sql: "SELECT id, item FROM deadlines WHERE state = 0 AND item LIKE 'delivery:%' AND item LIKE ?",
            arguments: ["%" + suffix])
        var renamed = 0
        for row in rows {
            let id: Int64 = row[0]
            let item: String = row[1]
            let middle = item.dropFirst("delivery:".count).dropLast(suffix.count)
            guard item.hasSuffix(suffix), let seq = Int64(middle), seqs.contains(seq) else { continue }
            try db.execute(
                sql: "UPDATE deadlines SET item = ?, region = coalesce(?, region) WHERE id = ?",
                arguments: ["delivery:\(seq):\(move.to)", move.toRegion, id])
            renamed += 1
        }
        return renamed
    }
}
