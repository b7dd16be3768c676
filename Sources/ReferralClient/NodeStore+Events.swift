import GRDB
import SQLiteRaw

/// The event log's tables (migration v7) and the statements that append to it inside a change's own transaction.
///
/// Why a log of its own: `nextReceipt` marks a receipt reported when it is read, so a reader that fails to pass
/// it on (a webhook whose POST still fails when the process stops) loses it. The log is only appended to; a
/// reader keeps its position in `event_cursors` and moves it after it has passed an event on (at least once).
/// `number` is AUTOINCREMENT so that pruning the newest-but-old events never lets a number be given again; the
/// single writer connection commits numbers in order, so a reader never finds a gap filled later.
enum NodeEventLog {
    static func createTables(_ db: Database) throws {
        try db.execute(
            sql: """
                CREATE TABLE events (
                    number INTEGER PRIMARY KEY AUTOINCREMENT,
                    kind TEXT NOT NULL,
                    message_id TEXT NOT NULL,
                    seq INTEGER,
                    recipient TEXT,
                    receipt INTEGER,
                    code TEXT,
                    reason TEXT,
                    field TEXT,
                    at INTEGER NOT NULL,
                    recorded_at INTEGER NOT NULL
                ) STRICT;
                CREATE TABLE event_cursors (
                    name TEXT PRIMARY KEY,
                    position INTEGER NOT NULL,
                    updated_at INTEGER NOT NULL
                ) STRICT, WITHOUT ROWID;
                """)
        // Receipts recorded before this version and not taken by `nextReceipt` yet: in the log, so that a reader
        // of the log (the gateway's receipt webhook) still passes them on.
        try db.execute(
            sql: """
                INSERT INTO events (kind, message_id, seq, recipient, receipt, reason, at, recorded_at)
                SELECT CASE delivered WHEN 1 THEN 'delivered' ELSE 'dead-lettered' END, message_id, seq, recipient,
                    receipt, reason, at, received_at
                FROM receipts WHERE reported_at IS NULL ORDER BY receipt
                """)
    }

    /// Appends an outbox status change (`accepted` or `rejected`).
    static func appendStatus(
        _ kind: NodeEvent.Kind, id: String, seq: Int64? = nil, code: String? = nil, reason: String? = nil,
        field: String? = nil, recipient: String? = nil, now: Int64, in db: Database
    ) throws {
        var insert = RawStatement(
            try db.cachedStatement(
                sql: """
                    INSERT INTO events (kind, message_id, seq, recipient, code, reason, field, at, recorded_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """))
        try insert.bind(kind.rawValue)
        try insert.bind(id)
        try insert.bind(seq)
        try insert.bind(recipient)
        try insert.bind(code)
        try insert.bind(reason)
        try insert.bind(field)
        try insert.bind(now)
        try insert.bind(now)
        try insert.run()
    }

    /// Appends a receipt (recorded for the first time).
    static func appendReceipt(_ receipt: DeliveryReceipt, now: Int64, in db: Database) throws {
        var insert = RawStatement(
            try db.cachedStatement(
                sql: """
                    INSERT INTO events (kind, message_id, seq, recipient, receipt, reason, at, recorded_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    """))
        try insert.bind(receipt.delivered ? NodeEvent.Kind.delivered.rawValue : NodeEvent.Kind.deadLettered.rawValue)
        try insert.bind(receipt.messageId)
        try insert.bind(receipt.seq)
        try insert.bind(receipt.recipient)
        try insert.bind(receipt.receipt)
        try insert.bind(receipt.reason)
        try insert.bind(receipt.at)
        try insert.bind(now)
        try insert.run()
    }

    static let columns = "number, kind, message_id, seq, recipient, receipt, code, reason, field, at, recorded_at"

    static func event(_ row: Row) -> NodeEvent {
        NodeEvent(
            number: row[0], kind: NodeEvent.Kind(rawValue: row[1]) ?? .accepted, messageId: row[2], seq: row[3],
            recipient: row[4], receipt: row[5], code: row[6], reason: row[7], field: row[8], at: row[9],
            recordedAt: row[10])
    }
}

extension NodeStore {
    /// Events with a number above `after`, oldest first, at most `limit`.
    func events(after: Int64, limit: Int) async throws -> [NodeEvent] {
        try await read("read events") { db in
            try Row.fetchAll(
                db.cachedStatement(
                    sql: "SELECT \(NodeEventLog.columns) FROM events WHERE number > ? ORDER BY number LIMIT ?"),
                arguments: [after, limit]
            ).map(NodeEventLog.event)
        }
    }

    /// The highest event number given so far (0 before the first), pruned events included.
    func lastEventNumber() async throws -> Int64 {
        try await read("read events") { db in
            try Int64.fetchOne(db, sql: "SELECT seq FROM sqlite_sequence WHERE name = 'events'") ?? 0
        }
    }

    /// The named cursor's position (0 when it was never set).
    func eventCursor(_ name: String) async throws -> Int64 {
        try await read("read event cursor") { db in
            try Int64.fetchOne(db, sql: "SELECT position FROM event_cursors WHERE name = ?", arguments: [name]) ?? 0
        }
    }

    /// Sets the named cursor (one commit). A cursor only moves forward: a smaller position is ignored, so that a
    /// late write of an older position cannot make a reader hand events on again.
    func setEventCursor(_ name: String, to position: Int64, now: Int64) async throws {
        try await write("set event cursor") { db in
            try db.execute(
                sql: """
                    INSERT INTO event_cursors (name, position, updated_at) VALUES (?, ?, ?)
                    ON CONFLICT (name) DO UPDATE SET position = excluded.position, updated_at = excluded.updated_at
                    WHERE excluded.position > event_cursors.position
                    """, arguments: [name, position, now])
        }
    }

    /// Deletes the events recorded before `cutoff` (ms since the epoch); returns how many.
    func pruneEvents(recordedBefore cutoff: Int64) async throws -> Int {
        try await write("prune events") { db in
            try db.execute(sql: "DELETE FROM events WHERE recorded_at < ?", arguments: [cutoff])
            return db.changesCount
        }
    }
}
