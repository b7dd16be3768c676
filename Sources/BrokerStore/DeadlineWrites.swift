import GRDB
import SQLiteRaw

/// The case and deadline writes of a batch, run inside its transaction. Statements come from GRDB's per-connection
/// statement cache. Each returns how many rows it wrote.
enum DeadlineWrites {
    static func putCase(_ record: CaseRecord, _ db: Database) throws {
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
    }

    /// Inserts an open deadline. `armedBy`: the seq of the message of the accept unit that sets it (nil outside
    /// one: the deadline must then name its message itself).
    static func insert(_ deadline: NewDeadline, armedBy: Int64?, _ db: Database) throws -> Int64 {
        guard let seq = deadline.notice.armedBy ?? armedBy else {
            throw DatabaseError(message: "a deadline set outside an accept unit must name the message that set it")
        }
        let item: String
        switch deadline.item {
        case .text(let text): item = text
        case .deliveryOfArmingMessage(let recipient):
            guard let armedBy else {
                throw DatabaseError(message: "a delivery of the arming message is awaited only in an accept unit")
            }
            item = "delivery:\(armedBy):\(recipient)"
        }
        let statement = try db.cachedStatement(
            sql: """
                INSERT INTO deadlines (case_id, item, due_at, level, policy, created_at, region, agency, risk, closers,
                                       notice_kind, armed_by, notice_sender, notice_message_id, original_due)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
        let notice = deadline.notice
        try statement.execute(arguments: [
            deadline.caseId, item, deadline.dueAt, deadline.level, deadline.policy, deadline.createdAt,
            deadline.region, deadline.agency, deadline.risk, deadline.closers.map { $0.joined(separator: ",") },
            notice.kind, seq, notice.sender, notice.messageId, notice.originalDue,
        ])
        return db.lastInsertedRowID
    }

    /// Closes the open deadlines `closing` names at `at`; the number closed.
    static func close(_ closing: DeadlineClosing, at: Int64, _ db: Database) throws -> Int {
        switch closing {
        case .inCase(let caseId, let item, let state):
            try requireClosing(state)
            if let item {
                let statement = try db.cachedStatement(
                    sql: "UPDATE deadlines SET state = ?, closed_at = ? WHERE state = 0 AND case_id = ? AND item = ?")
                try statement.execute(arguments: [state.rawValue, at, caseId, item])
            } else {
                let statement = try db.cachedStatement(
                    sql: "UPDATE deadlines SET state = ?, closed_at = ? WHERE state = 0 AND case_id = ?")
                try statement.execute(arguments: [state.rawValue, at, caseId])
            }
        case .withoutCase(let item, let state):
            try requireClosing(state)
            let statement = try db.cachedStatement(
                sql: "UPDATE deadlines SET state = ?, closed_at = ? WHERE state = 0 AND case_id IS NULL AND item = ?")
            try statement.execute(arguments: [state.rawValue, at, item])
        case .followUpVisit(let caseId, let party):
            try meetFollowUpVisit(caseId: caseId, party: party, at: at, db)
        case .followUpPlan(let caseId, let closer):
            try closeFollowUp(caseId: caseId, closer: closer, at: at, db)
        }
        return db.changesCount
    }

    private static func requireClosing(_ state: DeadlineState) throws {
        guard state != .open else { throw DatabaseError(message: "closing deadlines needs a closing state, not open") }
    }

    /// Meets the delivery deadline of message `seq` to `recipient` (item `delivery:<seq>:<node>`) in the message's
    /// case (`caseId`, nil for none); the number met (0 or 1).
    static func meetDelivery(seq: Int64, recipient: String, caseId: String?, at: Int64, _ db: Database) throws -> Int {
        // One per delivered message: bound through the C API (the hot path).
        var update = RawStatement(
            try db.cachedStatement(
                sql: "UPDATE deadlines SET state = 1, closed_at = ? WHERE state = 0 AND case_id IS ? AND item = ?"))
        try update.bind(at)
        try update.bind(caseId)
        try update.bind("delivery:\(seq):\(recipient)")
        try update.run()
        return db.changesCount
    }

    /// Marks an open deadline fired (or exhausted when nothing follows); false when it was not open (nothing
    /// written).
    static func fire(id: Int64, at: Int64, exhausted: Bool, _ db: Database) throws -> Bool {
        let statement = try db.cachedStatement(
            sql: "UPDATE deadlines SET state = ?, closed_at = ? WHERE id = ? AND state = 0")
        let state: DeadlineState = exhausted ? .exhausted : .fired
        try statement.execute(arguments: [state.rawValue, at, id])
        return db.changesCount == 1
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
    private static func meetFollowUpVisit(caseId: String, party: String, at: Int64, _ db: Database) throws {
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
    }

    /// Cancels the case's open follow-up visit deadlines that `closer` may end (it is in their `closers`).
    private static func closeFollowUp(caseId: String, closer: String, at: Int64, _ db: Database) throws {
        let statement = try db.cachedStatement(
            sql: """
                UPDATE deadlines SET state = 4, closed_at = ?
                WHERE state = 0 AND case_id = ? AND item LIKE 'visit:%'
                  AND instr(',' || closers || ',', ',' || ? || ',') > 0
                """)
        try statement.execute(arguments: [at, caseId, closer])
    }
}
