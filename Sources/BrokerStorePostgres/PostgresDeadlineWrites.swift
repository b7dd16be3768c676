import PostgresNIO
import StoreModel

/// The case and deadline writes of a batch on PostgreSQL (`DeadlineWrites` on SQLite), run inside its transaction.
/// Each returns how many rows it wrote (the command tag's count).
enum PostgresDeadlineWrites {
    static func putCase(_ record: CaseRecord, _ session: PostgresSession) throws {
        try session.query(
            """
            INSERT INTO cases (case_id, status, referrer, service, attempt, opened_at, updated_at, risk)
            VALUES (\(record.caseId), \(record.status), \(record.referrer), \(record.service),
                    \(Int64(record.attempt)), \(record.openedAt), \(record.updatedAt), \(record.risk))
            ON CONFLICT (case_id) DO UPDATE SET
                status = excluded.status, referrer = excluded.referrer, service = excluded.service,
                attempt = excluded.attempt, opened_at = excluded.opened_at,
                updated_at = excluded.updated_at, risk = excluded.risk
            """)
    }

    /// Inserts an open deadline as `id` (the store numbers them). `armedBy`: the seq of the message of the accept
    /// unit that sets it (nil outside one: the deadline must then name its message itself).
    static func insert(_ deadline: NewDeadline, id: Int64, armedBy: Int64?, _ session: PostgresSession) throws {
        var rows = newRows()
        try add(deadline, id: id, armedBy: armedBy, to: &rows)
        try insert(rows, session)
    }

    /// The columns of a deadline row, for `add` and `insert(_ rows:)`.
    static func newRows() -> PostgresValueRows {
        PostgresValueRows(
            "bigint", "text", "text", "bigint", "bigint", "text", "bigint", "text", "text", "text", "text", "text",
            "bigint", "text", "text", "bigint")
    }

    /// Adds the open deadline `id` to `rows` (see `insert`).
    static func add(_ deadline: NewDeadline, id: Int64, armedBy: Int64?, to rows: inout PostgresValueRows) throws {
        guard let seq = deadline.notice.armedBy ?? armedBy else {
            throw refused("a deadline set outside an accept unit must name the message that set it")
        }
        let item: String
        switch deadline.item {
        case .text(let text): item = text
        case .deliveryOfArmingMessage(let recipient):
            guard let armedBy else {
                throw refused("a delivery of the arming message is awaited only in an accept unit")
            }
            item = "delivery:\(armedBy):\(recipient)"
        }
        let notice = deadline.notice
        let closers = deadline.closers.map { $0.joined(separator: ",") }
        rows.append {
            $0.append(id)
            $0.append(deadline.caseId)
            $0.append(item)
            $0.append(deadline.dueAt)
            $0.append(Int64(deadline.level))
            $0.append(deadline.policy)
            $0.append(deadline.createdAt)
            $0.append(deadline.region)
            $0.append(deadline.agency)
            $0.append(deadline.risk)
            $0.append(closers)
            $0.append(notice.kind)
            $0.append(seq)
            $0.append(notice.sender)
            $0.append(notice.messageId)
            $0.append(notice.originalDue)
        }
    }

    /// Inserts the deadline rows `add` gathered.
    static func insert(_ rows: PostgresValueRows, _ session: PostgresSession) throws {
        try session.run(rows) { values in
            """
            INSERT INTO deadlines (id, case_id, item, due_at, level, policy, created_at, region, agency, risk,
                                   closers, notice_kind, armed_by, notice_sender, notice_message_id, original_due)
            \(values)
            """
        }
    }

    /// Closes the open deadlines `closing` names at `at`; the number closed.
    static func close(_ closing: DeadlineClosing, at: Int64, _ session: PostgresSession) throws -> Int {
        switch closing {
        case .inCase(let caseId, let item, let state):
            try requireClosing(state)
            let value = Int64(state.rawValue)
            if let item {
                return try session.query(
                    """
                    UPDATE deadlines SET state = \(value), closed_at = \(at)
                    WHERE state = 0 AND case_id = \(caseId) AND item = \(item)
                    """
                ).rowCount
            }
            return try session.query(
                "UPDATE deadlines SET state = \(value), closed_at = \(at) WHERE state = 0 AND case_id = \(caseId)"
            ).rowCount
        case .withoutCase(let item, let state):
            try requireClosing(state)
            return try session.query(
                """
                UPDATE deadlines SET state = \(Int64(state.rawValue)), closed_at = \(at)
                WHERE state = 0 AND case_id IS NULL AND item = \(item)
                """
            ).rowCount
        case .followUpVisit(let caseId, let party):
            return try meetFollowUpVisit(caseId: caseId, party: party, at: at, session)
        case .followUpPlan(let caseId, let closer):
            return try closeFollowUp(caseId: caseId, closer: closer, at: at, session)
        }
    }

    private static func requireClosing(_ state: DeadlineState) throws {
        guard state != .open else { throw refused("closing deadlines needs a closing state, not open") }
    }

    /// Meets the delivery deadline of message `seq` to `recipient` (item `delivery:<seq>:<node>`) in the message's
    /// case (`caseId`, nil for none); the number met (0 or 1).
    static func meetDelivery(seq: Int64, recipient: String, caseId: String?, at: Int64, _ session: PostgresSession)
        throws -> Int
    {
        let item = "delivery:\(seq):\(recipient)"
        // SQLite's `case_id IS ?`: two statements, so that each reads `deadlines_open_case` or the item directly.
        if let caseId {
            return try session.query(
                """
                UPDATE deadlines SET state = 1, closed_at = \(at)
                WHERE state = 0 AND case_id = \(caseId) AND item = \(item)
                """
            ).rowCount
        }
        return try session.query(
            "UPDATE deadlines SET state = 1, closed_at = \(at) WHERE state = 0 AND case_id IS NULL AND item = \(item)"
        ).rowCount
    }

    /// Marks an open deadline fired (or exhausted when nothing follows); false when it was not open (nothing
    /// written).
    static func fire(id: Int64, at: Int64, exhausted: Bool, _ session: PostgresSession) throws -> Bool {
        let state: DeadlineState = exhausted ? .exhausted : .fired
        return try session.query(
            "UPDATE deadlines SET state = \(Int64(state.rawValue)), closed_at = \(at) WHERE id = \(id) AND state = 0"
        ).rowCount == 1
    }

    /// Meets the earliest open follow-up visit `party` owes in the case (visit items `visit:N:party`; the lowest N,
    /// then the oldest row). N is read as SQLite's CAST reads it: its leading digits, 0 when there are none.
    private static func meetFollowUpVisit(caseId: String, party: String, at: Int64, _ session: PostgresSession)
        throws -> Int
    {
        try session.query(
            """
            UPDATE deadlines SET state = 1, closed_at = \(at)
            WHERE id = (
                SELECT id FROM deadlines
                WHERE state = 0 AND case_id = \(caseId) AND item LIKE 'visit:%'
                  AND right(item, length(\(party)) + 1) = ':' || \(party)
                ORDER BY coalesce(CAST(substring(
                    substr(item, 7, greatest(strpos(substr(item, 7), ':') - 1, 0)) FROM '^[0-9]+') AS bigint), 0),
                    id
                LIMIT 1)
            """
        ).rowCount
    }

    /// Cancels the case's open follow-up visit deadlines that `closer` may end (it is in their `closers`).
    private static func closeFollowUp(caseId: String, closer: String, at: Int64, _ session: PostgresSession) throws
        -> Int
    {
        try session.query(
            """
            UPDATE deadlines SET state = 4, closed_at = \(at)
            WHERE state = 0 AND case_id = \(caseId) AND item LIKE 'visit:%'
              AND strpos(',' || closers || ',', ',' || \(closer) || ',') > 0
            """
        ).rowCount
    }

    private static func refused(_ cause: String) -> PostgresStoreError {
        PostgresStoreError(operation: "run", cause: cause, kind: .statement)
    }
}
