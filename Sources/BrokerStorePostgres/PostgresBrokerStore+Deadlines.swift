import PostgresNIO
import StoreModel

// Cases and durable deadlines: the reads (BrokerStore+Deadlines.swift on SQLite, same results). Open deadlines are
// read through the partial indexes `deadlines_open_due` (due_at, id), `deadlines_open_case`,
// `deadlines_open_escalated` and `deadlines_open_escalated_recent`, always with a limit.

extension PostgresBrokerStore {
    /// The earliest open deadlines with `dueAt < before`, by due time then id, at most `limit`.
    public func dueDeadlines(before: Int64, limit: Int) throws -> [DeadlineRecord] {
        guard limit > 0 else { return [] }
        return try reading("dueDeadlines") {
            try PostgresDeadlineRows.decode(session.query(Self.dueDeadlinesQuery(before: before, limit: limit)))
        }
    }

    /// `dueDeadlines`' statement, on `deadlines_open_due` (PostgresIndexUseTests EXPLAINs it).
    static func dueDeadlinesQuery(before: Int64, limit: Int) -> PostgresQuery {
        """
        SELECT \(unescaped: PostgresDeadlineRows.columns) FROM deadlines
        WHERE state = 0 AND due_at < \(before) ORDER BY due_at, id LIMIT \(Int64(limit))
        """
    }

    public func nextDueAt() throws -> Int64? {
        try reading("nextDueAt") { try session.query(Self.nextDueAtQuery).rows.first?.decode(Int64.self) }
    }

    /// `nextDueAt`'s statement, on `deadlines_open_due` (PostgresIndexUseTests EXPLAINs it).
    static var nextDueAtQuery: PostgresQuery {
        "SELECT due_at FROM deadlines WHERE state = 0 ORDER BY due_at, id LIMIT 1"
    }

    public func openDeadlineCount() throws -> Int {
        try reading("openDeadlineCount") {
            try session.query("SELECT count(*) FROM deadlines WHERE state = 0").rows.first?.decode(Int.self) ?? 0
        }
    }

    /// What is late at `now`: open deadlines due by then or of a later escalation level, by due time then id;
    /// `escalatedOnly`: only the later levels, the latest escalation first (created_at DESC, NULLs last as in
    /// SQLite, then id DESC: the order of `deadlines_open_escalated_recent`). Filters nil or empty: none;
    /// `regionPrefix` is a literal prefix of the division code (not LIKE), rows without a region never match it.
    public func overdue(
        now: Int64, regionPrefix: String? = nil, agency: String? = nil, risk: String? = nil,
        escalatedOnly: Bool = false, limit: Int = 1_000
    ) throws -> [DeadlineRecord] {
        guard limit > 0 else { return [] }
        let query = Self.overdueQuery(
            now: now, regionPrefix: regionPrefix, agency: agency, risk: risk, escalatedOnly: escalatedOnly,
            limit: limit)
        return try reading("overdue") { try PostgresDeadlineRows.decode(session.query(query)) }
    }

    /// `overdue`'s statement; with `escalatedOnly`, on `deadlines_open_escalated_recent` (PostgresIndexUseTests
    /// EXPLAINs it).
    static func overdueQuery(
        now: Int64, regionPrefix: String?, agency: String?, risk: String?, escalatedOnly: Bool, limit: Int
    ) -> PostgresQuery {
        var query = PostgresQueryBuilder("SELECT \(PostgresDeadlineRows.columns) FROM deadlines WHERE state = 0")
        if escalatedOnly {
            query.sql += " AND level > 0"
        } else {
            let due = query.bind(now)
            query.sql += " AND (due_at <= \(due) OR level > 0)"
        }
        if let regionPrefix, !regionPrefix.isEmpty {
            // substr counts characters, as SQLite's; int4 for substr's length argument.
            let length = query.bind(Int32(clamping: regionPrefix.unicodeScalars.count))
            let prefix = query.bind(regionPrefix)
            query.sql += " AND substr(region, 1, \(length)) = \(prefix)"
        }
        if let agency, !agency.isEmpty {
            let value = query.bind(agency)
            query.sql += " AND agency = \(value)"
        }
        if let risk, !risk.isEmpty {
            let value = query.bind(risk)
            query.sql += " AND risk = \(value)"
        }
        query.sql += escalatedOnly ? " ORDER BY created_at DESC NULLS LAST, id DESC" : " ORDER BY due_at, id"
        let bound = query.bind(Int64(limit))
        query.sql += " LIMIT \(bound)"
        return query.query
    }

    /// The open deadlines of one case, by due time then id, at most `limit`.
    public func openDeadlines(caseId: String, limit: Int = Int.max) throws -> [DeadlineRecord] {
        guard limit > 0 else { return [] }
        return try reading("openDeadlines") {
            try PostgresDeadlineRows.decode(session.query(Self.openDeadlinesQuery(caseId: caseId, limit: limit)))
        }
    }

    /// `openDeadlines`' statement, on `deadlines_open_case` (PostgresIndexUseTests EXPLAINs it).
    static func openDeadlinesQuery(caseId: String, limit: Int) -> PostgresQuery {
        """
        SELECT \(unescaped: PostgresDeadlineRows.columns) FROM deadlines
        WHERE state = 0 AND case_id = \(caseId) ORDER BY due_at, id LIMIT \(Int64(limit))
        """
    }

    public func deadline(id: Int64) throws -> DeadlineRecord? {
        try reading("deadline") {
            try PostgresDeadlineRows.decode(
                session.query(
                    "SELECT \(unescaped: PostgresDeadlineRows.columns) FROM deadlines WHERE id = \(id)")
            ).first
        }
    }

    public func caseRecord(id: String) throws -> CaseRecord? {
        try reading("caseRecord") { try Self.caseRecord(id: id, session) }
    }

    /// The case row, nil if unknown: also for the writes that decide on it inside a batch's transaction.
    static func caseRecord(id: String, _ session: PostgresSession) throws -> CaseRecord? {
        guard
            let row = try session.query(
                """
                SELECT case_id, status, referrer, service, attempt, opened_at, updated_at, risk
                FROM cases WHERE case_id = \(id)
                """
            ).rows.first
        else { return nil }
        let (caseId, status, referrer, service, attempt, openedAt, updatedAt, risk) = try row.decode(
            (String, String, String?, String?, Int, Int64?, Int64?, String?).self)
        return CaseRecord(
            caseId: caseId, status: status, referrer: referrer, service: service, attempt: attempt,
            openedAt: openedAt, updatedAt: updatedAt, risk: risk)
    }
}

/// The columns of a deadline row and their decoding into `DeadlineRecord`.
enum PostgresDeadlineRows {
    static let columns = """
        id, case_id, item, due_at, level, policy, state, created_at, closed_at, region, agency, risk, closers, \
        notice_kind, armed_by, notice_sender, notice_message_id, original_due
        """

    static func decode(_ result: PostgresQueryResult) throws -> [DeadlineRecord] {
        try result.rows.map { row in
            let (
                id, caseId, item, dueAt, level, policy, rawState, createdAt, closedAt, region, agency, risk, closers,
                kind, armedBy, sender, messageId, originalDue
            ) = try row.decode(
                (
                    Int64, String?, String, Int64, Int, String, Int, Int64?, Int64?, String?, String?, String?, String?,
                    String?, Int64?, String?, String?, Int64?
                ).self)
            guard let state = DeadlineState(rawValue: rawState) else {
                throw PostgresStoreError(
                    operation: "read deadline", cause: "deadline row has an unknown state \(rawState)",
                    kind: .statement)
            }
            var notice: DeadlineNotice?
            if let kind, let armedBy, let sender, let messageId, let originalDue {
                notice = DeadlineNotice(
                    kind: kind, armedBy: armedBy, sender: sender, messageId: messageId, originalDue: originalDue)
            }
            return DeadlineRecord(
                id: id, caseId: caseId, item: item, dueAt: dueAt, level: level, notice: notice, policy: policy,
                state: state, createdAt: createdAt, closedAt: closedAt, region: region, agency: agency, risk: risk,
                closers: closers.map(Self.closers(of:)))
        }
    }

    /// The `closers` column read back (node ids contain no ",").
    static func closers(of text: String) -> [String] {
        text.split(separator: ",").map(String.init)
    }
}
