import GRDB

// Cases and durable deadlines: the writes done inside `apply(_:)`'s transaction, and the reads.
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
    public func overdue(
        now: Int64, regionPrefix: String? = nil, agency: String? = nil, risk: String? = nil, limit: Int = 1_000
    ) throws -> [DeadlineRecord] {
        guard limit > 0 else { return [] }
        // An open row at level 1 or above is the next step of an item whose first deadline has passed:
        // late now, whatever the due time of that next step.
        // Two index ranges (due now, on `deadlines_open_due`; a later level, on `deadlines_open_escalated`) in
        // one subquery, so that neither scans every open row.
        var sql = """
            SELECT \(DeadlineRows.columns) FROM deadlines WHERE id IN (
                SELECT id FROM deadlines WHERE state = 0 AND due_at <= ?
                UNION SELECT id FROM deadlines WHERE state = 0 AND level > 0)
            """
        var arguments: StatementArguments = [now]
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
        sql += " ORDER BY due_at, id LIMIT ?"
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
        try read("caseRecord") { db in try CaseWrites.caseRecord(id: id, db) }
    }
}

private enum DeadlineRows {
    static let columns =
        "id, case_id, item, due_at, level, policy, state, created_at, closed_at, region, agency, risk, closers"

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
                    id: row[0], caseId: row[1], item: row[2], dueAt: row[3], level: row[4], policy: row[5],
                    state: state, createdAt: row[7], closedAt: row[8], region: row[9], agency: row[10],
                    risk: row[11], closers: (row[12] as String?).map(CaseWrites.closers(of:))))
        }
        return result
    }
}

/// The case and deadline ops of a batch, run inside its transaction. Statements come from GRDB's
/// per-connection statement cache.
enum CaseWrites {
    /// Meets the delivery deadline of message `seq` to one recipient (`?` at, seq, item `delivery:<seq>:<node>`).
    static let closeDeliverySQL = """
        UPDATE deadlines SET state = 1, closed_at = ?
        WHERE state = 0 AND case_id IS (SELECT case_id FROM messages WHERE seq = ?) AND item = ?
        """

    /// `closeDeliverySQL` with the message's case id bound (NULL for none) instead of read by the subquery.
    static let closeDeliveryOfCaseSQL = """
        UPDATE deadlines SET state = 1, closed_at = ? WHERE state = 0 AND case_id IS ? AND item = ?
        """

    static func apply(_ op: StoreOp, _ db: Database, rows: inout Int) throws -> StoreOpResult {
        switch op {
        case .upsertCase(let record):
            let statement = try db.cachedStatement(
                sql: """
                    INSERT INTO cases (case_id, status, referrer, service, attempt, opened_at, updated_at, risk)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT (case_id) DO UPDATE SET
                        status = excluded.status, referrer = excluded.referrer, service = excluded.service,
                        attempt = excluded.attempt, opened_at = excluded.opened_at,
                        updated_at = excluded.updated_at, risk = excluded.risk
                    """)
            try statement.execute(arguments: [
                record.caseId, record.status, record.referrer, record.service, record.attempt, record.openedAt,
                record.updatedAt, record.risk,
            ])
            rows += 1
            return .none
        case .addDeadline(let deadline):
            let id = try insert(deadline, db)
            rows += 1
            return .deadline(id: id)
        case .closeDeadlines(let caseId, let item, let state, let at):
            guard state != .open else {
                throw DatabaseError(message: "closeDeadlines needs a closing state, not open")
            }
            let statement: Statement
            guard let caseId else {
                guard let item else {
                    throw DatabaseError(message: "closeDeadlines without a case needs an item")
                }
                statement = try db.cachedStatement(
                    sql: """
                        UPDATE deadlines SET state = ?, closed_at = ?
                        WHERE state = 0 AND case_id IS NULL AND item = ?
                        """)
                try statement.execute(arguments: [state.rawValue, at, item])
                let count = db.changesCount
                rows += count
                return .closedDeadlines(count: count)
            }
            if let item {
                statement = try db.cachedStatement(
                    sql: """
                        UPDATE deadlines SET state = ?, closed_at = ?
                        WHERE state = 0 AND case_id = ? AND item = ?
                        """)
                try statement.execute(arguments: [state.rawValue, at, caseId, item])
            } else {
                statement = try db.cachedStatement(
                    sql: "UPDATE deadlines SET state = ?, closed_at = ? WHERE state = 0 AND case_id = ?")
                try statement.execute(arguments: [state.rawValue, at, caseId])
            }
            let count = db.changesCount
            rows += count
            return .closedDeadlines(count: count)
        case .meetFollowUpVisit(let caseId, let party, let at),
            .meetFollowUpVisitIfStored(let caseId, let party, let at):
            let count = try meetFollowUpVisit(caseId: caseId, party: party, at: at, db)
            rows += count
            return .closedDeadlines(count: count)
        case .closeFollowUp(let caseId, let closer, let at), .closeFollowUpIfStored(let caseId, let closer, let at):
            let count = try closeFollowUp(caseId: caseId, closer: closer, at: at, db)
            rows += count
            return .closedDeadlines(count: count)
        case .closeDeliveryDeadline(let seq, let recipient, let at):
            let statement = try db.cachedStatement(sql: closeDeliverySQL)
            try statement.execute(arguments: [at, seq, "delivery:\(seq):\(recipient)"])
            let count = db.changesCount
            rows += count
            return .closedDeadlines(count: count)
        case .fireDeadline(let id, let at, let next):
            let statement = try db.cachedStatement(
                sql: "UPDATE deadlines SET state = ?, closed_at = ? WHERE id = ? AND state = 0")
            let state: DeadlineState = next == nil ? .exhausted : .fired
            try statement.execute(arguments: [state.rawValue, at, id])
            guard db.changesCount == 1 else { return .notFired }
            rows += 1
            guard let next else { return .fired(nextId: nil) }
            let nextId = try insert(next, db)
            rows += 1
            return .fired(nextId: nextId)
        default:
            throw DatabaseError(message: "not a case or deadline op")
        }
    }

    private static func insert(_ deadline: NewDeadline, _ db: Database) throws -> Int64 {
        let statement = try db.cachedStatement(
            sql: """
                INSERT INTO deadlines (case_id, item, due_at, level, policy, created_at, region, agency, risk, closers)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
        try statement.execute(arguments: [
            deadline.caseId, deadline.item, deadline.dueAt, deadline.level, deadline.policy, deadline.createdAt,
            deadline.region, deadline.agency, deadline.risk, deadline.closers.map { $0.joined(separator: ",") },
        ])
        return db.lastInsertedRowID
    }

    /// The case row inside a transaction, nil if the case is unknown.
    static func caseRecord(id: String, _ db: Database) throws -> CaseRecord? {
        let statement = try db.cachedStatement(
            sql: """
                SELECT case_id, status, referrer, service, attempt, opened_at, updated_at, risk
                FROM cases WHERE case_id = ?
                """)
        guard let row = try Row.fetchOne(statement, arguments: [id]) else { return nil }
        return CaseRecord(
            caseId: row[0], status: row[1], referrer: row[2], service: row[3], attempt: row[4], openedAt: row[5],
            updatedAt: row[6], risk: row[7])
    }

    /// The `closers` column read back (node ids contain no ",").
    static func closers(of text: String) -> [String] {
        text.split(separator: ",").map(String.init)
    }

    /// Meets the earliest open follow-up visit `party` owes in the case (visit items `visit:N:party`; the
    /// lowest N, then the oldest row: FollowUpProgress's rule, an early or late visit meets the oldest
    /// promise). The case's open rows are few and found through `deadlines_open_case`.
    static func meetFollowUpVisit(caseId: String, party: String, at: Int64, _ db: Database) throws -> Int {
        let statement = try db.cachedStatement(
            sql: """
                UPDATE deadlines SET state = 1, closed_at = ?
                WHERE id = (
                    SELECT id FROM deadlines
                    WHERE state = 0 AND case_id = ? AND item LIKE 'visit:%' AND substr(item, -length(?) - 1) = ':' || ?
                    ORDER BY CAST(substr(item, 7, instr(substr(item, 7), ':') - 1) AS INTEGER), id
                    LIMIT 1)
                """)
        try statement.execute(arguments: [at, caseId, party, party])
        return db.changesCount
    }

    /// Cancels the case's open follow-up visit deadlines that `closer` may end (it is in their `closers`).
    static func closeFollowUp(caseId: String, closer: String, at: Int64, _ db: Database) throws -> Int {
        let statement = try db.cachedStatement(
            sql: """
                UPDATE deadlines SET state = 4, closed_at = ?
                WHERE state = 0 AND case_id = ? AND item LIKE 'visit:%'
                  AND instr(',' || closers || ',', ',' || ? || ',') > 0
                """)
        try statement.execute(arguments: [at, caseId, closer])
        return db.changesCount
    }
}
