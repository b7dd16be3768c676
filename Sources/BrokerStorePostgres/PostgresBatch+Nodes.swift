import PostgresNIO
import StoreModel

// Operators' node actions inside the batch's transaction on PostgreSQL (`BrokerStore+Nodes` on SQLite): the override
// rows and NODE-MOVE-BACKLOG's move, each with its audit record.
extension PostgresBatch {
    /// Writes (or, empty, deletes) one node's override row. SQLite's `INSERT OR REPLACE`: an upsert of every column.
    mutating func writeOverride(node: String, _ override: NodeOverride?) throws {
        guard let override, !override.isEmpty else {
            try session.query("DELETE FROM node_overrides WHERE node = \(node)")
            rows += 1
            return
        }
        let suspension = override.suspension
        let key = override.key
        try session.query(
            """
            INSERT INTO node_overrides (node, suspended_reason, suspended_by, suspended_at, public_key, directory_key,
                previous_key, previous_until, rotated_by, rotated_at)
            VALUES (\(node), \(suspension?.reason), \(suspension?.by), \(suspension?.at), \(key?.publicKey),
                    \(key?.directoryKey), \(key?.previousKey), \(key?.previousUntil), \(key?.by), \(key?.at))
            ON CONFLICT (node) DO UPDATE SET
                suspended_reason = excluded.suspended_reason, suspended_by = excluded.suspended_by,
                suspended_at = excluded.suspended_at, public_key = excluded.public_key,
                directory_key = excluded.directory_key, previous_key = excluded.previous_key,
                previous_until = excluded.previous_until, rotated_by = excluded.rotated_by,
                rotated_at = excluded.rotated_at
            """)
        rows += 1
    }

    /// Gives `from`'s open deliveries outside held lanes to `to` (docs/DESIGN.md, "Moving a node's backlog"). A
    /// message `to` already has a delivery of stays with `from` (SQLite's `UPDATE OR IGNORE` on the key
    /// (seq, recipient): here a NOT EXISTS on that key, the row itself excepted).
    mutating func moveBacklog(_ move: BacklogMove) throws -> BacklogMoved {
        let seqs = try session.query(
            """
            UPDATE deliveries SET recipient = \(move.to), attempts = 0, first_attempt_at = NULL
            WHERE recipient = \(move.from) AND state = 0
              AND NOT EXISTS (SELECT 1 FROM messages m JOIN held_cases h ON h.case_id = m.case_id
                              WHERE m.seq = deliveries.seq AND h.recipient = \(move.from))
              AND NOT EXISTS (SELECT 1 FROM deliveries d
                              WHERE d.seq = deliveries.seq AND d.recipient = \(move.to)
                                AND d.recipient <> deliveries.recipient)
            RETURNING seq
            """
        ).rows.map { try $0.decode(Int64.self) }.sorted()
        rows += seqs.count
        backlog.delivery(move.from, -seqs.count)
        backlog.delivery(move.to, seqs.count)
        let detail = "from \(move.from) to \(move.to)"
        for seq in seqs {
            try session.query(
                """
                INSERT INTO events (at, seq, recipient, event, attempt, detail)
                VALUES (\(move.at), \(seq), \(move.to), \(TrailEventName.moved.rawValue), NULL, \(detail))
                """)
            rows += 1
        }
        rows += try renameDeliveryDeadlines(Set(seqs), move: move)
        var record = move.audit
        record.detail = [record.detail, "moved=\(seqs.count)"].compactMap { $0 }.joined(separator: " ")
        try append(record)
        var open: [String: Int] = [:]
        for row in try session.query(
            "SELECT node, open_deliveries FROM node_backlog WHERE node IN (\(move.from), \(move.to))"
        ).rows {
            let (node, count) = try row.decode((String, Int64).self)
            open[node] = Int(count)
        }
        // The batch's deltas are written at its end: add this move's own (and any earlier unit's) to what is stored.
        let pending = backlog.byNode
        return BacklogMoved(
            seqs: seqs, fromOpen: (open[move.from] ?? 0) + (pending[move.from]?.deliveries ?? 0),
            toOpen: (open[move.to] ?? 0) + (pending[move.to]?.deliveries ?? 0))
    }

    /// The open delivery deadlines (`delivery:<seq>:<from>`) of the moved seqs name `to` (and its region) from now
    /// on, so that `to`'s ACK meets them. The suffix is compared with `right()`, not LIKE (a node id is a literal).
    private mutating func renameDeliveryDeadlines(_ seqs: Set<Int64>, move: BacklogMove) throws -> Int {
        guard !seqs.isEmpty else { return 0 }
        let suffix = ":\(move.from)"
        let found = try session.query(
            """
            SELECT id, item FROM deadlines
            WHERE state = 0 AND item LIKE 'delivery:%' AND right(item, length(\(suffix))) = \(suffix)
            """
        ).rows.map { try $0.decode((Int64, String).self) }
        var renamed = 0
        for (id, item) in found {
            let middle = item.dropFirst("delivery:".count).dropLast(suffix.count)
            guard item.hasSuffix(suffix), let seq = Int64(middle), seqs.contains(seq) else { continue }
            try session.query(
                """
                UPDATE deadlines SET item = \("delivery:\(seq):\(move.to)"), region = coalesce(\(move.toRegion), region)
                WHERE id = \(id)
                """)
            renamed += 1
        }
        return renamed
    }
}
