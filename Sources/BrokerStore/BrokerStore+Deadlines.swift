import GRDB

// Cases and durable deadlines: the reads (the writes are `DeadlineWrites`, inside a batch's transaction).
//
// Every read of open deadlines goes through the partial index `deadlines_open_due` (due_at, id WHERE state = 0)
// or `deadlines_open_case` (case_id WHERE state = 0), and every list is bounded by a limit: a million open
// deadlines are never loaded at once.

extension BrokerStore {
    /// The earliest open deadlines with `dueAt < before`, ordered by due time then id, at most `limit` of them:
    /// the next window the daemon keeps in memory. Deadlines that fell due while the broker was down come first,
    /// oldest first. Pass `Int64.max` to get the earliest `limit` open deadlines whatever their due time.
    public func dueDeadlines(before: Int64, limit: Int) throws -> [DeadlineRecord] {
        guard limit > 0 else { return [] }
        return try read("dueDeadlines") { db in
            let statement = try db.cachedStatement(
                sql: """
                    SELECT \(DeadlineRows.columns) FROM deadlines
                    WHERE state = 0 AND due_at < ? ORDER BY due_at, id LIMIT ?
                    """)
            return try DeadlineRows.fetch(statement, arguments: [before, limit])
        }
    }

    /// Due time of the earliest open deadline, nil when none is open.
    public func nextDueAt() throws -> Int64? {
        try read("nextDueAt") { db in
            try Int64.fetchOne(
                db, sql: "SELECT due_at FROM deadlines WHERE state = 0 ORDER BY due_at, id LIMIT 1")
        }
    }

    /// Number of open deadlines (counted on the open-deadline index).
    public func openDeadlineCount() throws -> Int {
        try read("openDeadlineCount") { db in
            try Int.fetchOne(db, sql: "SELECT count(*) FROM deadlines WHERE state = 0") ?? 0
        }
    }

    /// What is late now, for `referralctl overdue`: open deadlines with `dueAt <= now`, and open deadlines of a later
    /// escalation level (their item's first deadline has passed), by due time, at most
    /// `limit` (ask for one more than you show to know whether there are more). Every filter is optional (nil or
    /// empty = no filter):
    /// - `regionPrefix`: literal prefix of the deadline's division code ("3501" = Fuzhou and everything under it,
    ///   "350102" = one county); deadlines without a region never match a region filter;
    /// - `agency`, `risk`: exact match.
    ///
    /// `escalatedOnly`: only the open rows of a later level, by their creation time (when the escalation that set
    /// them happened), latest first, then id. They are read on `deadlines_open_escalated_recent` (the open escalated
    /// rows only, in that order) up to `limit`, so no sort runs however many are open.
    public func overdue(
        now: Int64, regionPrefix: String? = nil, agency: String? = nil, risk: String? = nil,
        escalatedOnly: Bool = false, limit: Int = 1_000
    ) throws -> [DeadlineRecord] {
        guard limit > 0 else { return [] }
        if escalatedOnly {
            return try overdue(
                "SELECT \(DeadlineRows.columns) FROM deadlines INDEXED BY deadlines_open_escalated_recent "
                    + "WHERE state = 0 AND level > 0", arguments: [], regionPrefix: regionPrefix, agency: agency,
                risk: risk, order: "created_at DESC, id DESC", limit: limit)
        }
        // An open row at level 1 or above is the next step of an item whose first deadline has passed:
        // late now, whatever the due time of that next step.
        // Two index ranges (due now, on `deadlines_open_due`; a later level, on `deadlines_open_escalated`) in
        // one subquery, so that neither scans every open row.
        let sql = """
            SELECT \(DeadlineRows.columns) FROM deadlines WHERE id IN (
                SELECT id FROM deadlines WHERE state = 0 AND due_at <= ?
                UNION SELECT id FROM deadlines WHERE state = 0 AND level > 0)
            """
        return try overdue(
            sql, arguments: [now], regionPrefix: regionPrefix, agency: agency, risk: risk, order: "due_at, id",
            limit: limit)
    }

    /// `sql` (a SELECT of deadline rows with its WHERE) with the filters, the order and the limit.
    private func overdue(
        _ sql: String, arguments: StatementArguments, regionPrefix: String?, agency: String?, risk: String?,
        order: String, limit: Int
    ) throws -> [DeadlineRecord] {
        var (sql, arguments) = (sql, arguments)
        if let regionPrefix, !regionPrefix.isEmpty {
            // Not LIKE: that is case-insensitive and gives '%' and '_' a meaning.
            sql += " AND substr(region, 1, ?) = ?"
            arguments += [regionPrefix.unicodeScalars.count, regionPrefix]
        }
        if let agency, !agency.isEmpty {
            sql += " AND agency = ?"
            arguments += [agency]
        }
        if let risk, !risk.isEmpty {
            sql += " AND risk = ?"
            arguments += [risk]
        }
        sql += " ORDER BY \(order) LIMIT ?"
        arguments += [limit]
        return try read("overdue") { db in
            try DeadlineRows.fetch(try db.cachedStatement(sql: sql), arguments: arguments)
        }
    }

    /// The open deadlines of one case, ordered by due time then id, at most `limit` of them (a case has few;
    /// the limit only keeps a damaged or unusual case from producing an unbounded admin reply).
    public func openDeadlines(caseId: String, limit: Int = Int.max) throws -> [DeadlineRecord] {
        guard limit > 0 else { return [] }
        return try read("openDeadlines") { db in
            let statement = try db.cachedStatement(
                sql: """
                    SELECT \(DeadlineRows.columns) FROM deadlines
                    WHERE state = 0 AND case_id = ? ORDER BY due_at, id LIMIT ?
                    """)
            return try DeadlineRows.fetch(statement, arguments: [caseId, Int64(clamping: limit)])
        }
    }

    /// One deadline in whatever state, nil if unknown.
    public func deadline(id: Int64) throws -> DeadlineRecord? {
        try read("deadline") { db in
            let statement = try db.cachedStatement(sql: "SELECT \(DeadlineRows.columns) FROM deadlines WHERE id = ?")
            return try DeadlineRows.fetch(statement, arguments: [id]).first
        }
    }

    /// The case row, nil if unknown.
    public func caseRecord(id: String) throws -> CaseRecord? {
        try read("caseRecord") { db in try DeadlineWrites.caseRecord(id: id, db) }
    }
}

private enum DeadlineRows {
    static let columns = """
        id, case_id, item, due_at, level, policy, state, created_at, closed_at, region, agency, risk, closers,
        notice_kind, armed_by, notice_sender, notice_message_id, original_due
        """

    static func fetch(_ statement: Statement, arguments: StatementArguments) throws -> [DeadlineRecord] {
        let rows = try Row.fetchCursor(statement, arguments: arguments)
        var result: [DeadlineRecord] = []
        while let row = try rows.next() {
            let rawState: Int = row[6]
            guard let state = DeadlineState(rawValue: rawState) else {
                throw DatabaseError(message: "deadline row has an unknown state \(rawState)")
            }
            result.append(
                DeadlineRecord(
                    id: row[0], caseId: row[1], item: row[2], dueAt: row[3], level: row[4], notice: notice(row),
                    policy: row[5], state: state, createdAt: row[7], closedAt: row[8], region: row[9],
                    agency: row[10], risk: row[11], closers: (row[12] as String?).map(DeadlineWrites.closers(of:))))
        }
        return result
    }

    /// The notice columns (13...17), nil when the row has none.
    private static func notice(_ row: Row) -> DeadlineNotice? {
        guard let kind: String = row[13], let armedBy: Int64 = row[14], let sender: String = row[15],
            let messageId: String = row[16], let originalDue: Int64 = row[17]
        else { return nil }
        return DeadlineNotice(
            kind: kind, armedBy: armedBy, sender: sender, messageId: messageId, originalDue: originalDue)
    }
}
