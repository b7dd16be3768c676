import GRDB
import SQLiteRaw

// Ordered, forward-only migrations of the node store. Never edit a shipped migration: append a new one.
//
// - outbox: every message handed to the library, in commit order (`position`). `state` 0 queued, 1 accepted,
//   2 rejected (for good; v6 rebuilt the table to check it as a range). The body is kept until every recipient's
//   receipt is in (a resend must be identical, also after the broker lost accepted messages, 1/RBP §7.2), then
//   dropped; `recipient_count` is ACCEPTED's count of recipients. `digest` (the 1/RBP §12.7 content digest) stays, so a later send with the same id is
//   recognised as the same content or a conflict.
//   `not_before` delays the resend after a retryable rejection. Recipients are comma-joined (node ids never
//   contain commas), in the application's order. `reported_at` marks final rejections handed to the
//   application by `nextRejection`.
// - inbox: every message delivered to this node, once: UNIQUE(sender, message_id) is the dedupe key and is kept
//   after the message is completed (the body is dropped then).
// - receipts: the broker's receipts, keyed by the broker's receipt number; `reported_at` marks those handed to
//   the application by `nextReceipt`.
// - events (v7): an append-only log of what became of this node's messages (accepted, rejected, each receipt),
//   written in the transaction that records the change; `event_cursors` holds durable named read positions.
//   See NodeStore+Events.swift.
enum NodeSchema {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-node") { db in
            try db.execute(
                sql: """
                    CREATE TABLE outbox (
                        position INTEGER PRIMARY KEY AUTOINCREMENT,
                        id TEXT NOT NULL UNIQUE,
                        recipients TEXT NOT NULL,
                        kind TEXT NOT NULL,
                        case_id TEXT,
                        priority TEXT NOT NULL,
                        body BLOB,
                        digest BLOB NOT NULL,
                        state INTEGER NOT NULL DEFAULT 0 CHECK (state IN (0, 1, 2)),
                        seq INTEGER,
                        duplicate INTEGER NOT NULL DEFAULT 0,
                        code TEXT,
                        reason TEXT,
                        field TEXT,
                        recipient TEXT,
                        retries INTEGER NOT NULL DEFAULT 0,
                        not_before INTEGER,
                        created_at INTEGER NOT NULL,
                        answered_at INTEGER
                    ) STRICT;
                    CREATE INDEX outbox_queued ON outbox(position) WHERE state = 0;

                    CREATE TABLE inbox (
                        position INTEGER PRIMARY KEY AUTOINCREMENT,
                        sender TEXT NOT NULL,
                        message_id TEXT NOT NULL,
                        seq INTEGER NOT NULL,
                        recipients TEXT NOT NULL,
                        kind TEXT NOT NULL,
                        case_id TEXT,
                        priority TEXT NOT NULL,
                        accepted_at INTEGER NOT NULL,
                        received_at INTEGER NOT NULL,
                        body BLOB,
                        completed_at INTEGER,
                        UNIQUE (sender, message_id)
                    ) STRICT;
                    CREATE INDEX inbox_open ON inbox(position) WHERE completed_at IS NULL;

                    CREATE TABLE receipts (
                        receipt INTEGER PRIMARY KEY,
                        seq INTEGER NOT NULL,
                        message_id TEXT NOT NULL,
                        recipient TEXT NOT NULL,
                        delivered INTEGER NOT NULL CHECK (delivered IN (0, 1)),
                        at INTEGER NOT NULL,
                        reason TEXT,
                        received_at INTEGER NOT NULL,
                        reported_at INTEGER
                    ) STRICT;
                    CREATE INDEX receipts_message ON receipts(message_id);
                    CREATE INDEX receipts_unreported ON receipts(receipt) WHERE reported_at IS NULL;
                    """)
        }
        // 1/RBP 1.3: a discharge notice's follow-up plan, in its canonical text, sent as the SEND's `followup`.
        migrator.registerMigration("v2-followup") { db in
            try db.execute(sql: "ALTER TABLE outbox ADD COLUMN followup TEXT")
        }
        // Final rejections handed to the application by `nextRejection` (like receipts' `reported_at`), so that
        // a message the broker refused after the sender stopped waiting is reported once, not lost in the outbox.
        migrator.registerMigration("v3-rejection-reported") { db in
            try db.execute(
                sql: """
                    ALTER TABLE outbox ADD COLUMN reported_at INTEGER;
                    CREATE INDEX outbox_rejected_unreported ON outbox(position) WHERE state = 2 AND reported_at IS NULL;
                    """)
        }
        // The epoch of the broker's store from the last WELCOME (1/RBP §7.2): one row, or none before the first.
        migrator.registerMigration("v4-broker-store") { db in
            try db.execute(sql: "CREATE TABLE broker_store (epoch TEXT NOT NULL) STRICT")
        }
        // ACCEPTED's count of recipients (1/RBP §7.4): an accepted body is kept until that many recipients have a
        // receipt, so it can be sent again to a broker that lost it. Entries accepted before have no body left.
        migrator.registerMigration("v5-recipient-count") { db in
            try db.execute(sql: "ALTER TABLE outbox ADD COLUMN recipient_count INTEGER")
        }
        migrator.registerMigration("v6-outbox-state-range", migrate: rebuildOutboxWithStateRange)
        migrator.registerMigration("v7-events", migrate: NodeEventLog.createTables)
        return migrator
    }

    /// The outbox as v1–v5 left it, with `CHECK (state BETWEEN 0 AND 2)` instead of `state IN (0, 1, 2)`: the
    /// same rule, but SQLite checks an IN list of three by building a temporary B-tree for every row inserted
    /// and every state change (about a third of an outbox INSERT's cost). SQLite cannot alter a CHECK, so the
    /// table is made again from its own definition with only that changed (SQLite's documented way), its rows,
    /// positions and AUTOINCREMENT counter copied, and its indexes made again.
    private static func rebuildOutboxWithStateRange(_ db: Database) throws {
        let (before, after) = ("CHECK (state IN (0, 1, 2))", "CHECK (state BETWEEN 0 AND 2)")
        let definition = try String.fetchOne(db, sql: "SELECT sql FROM sqlite_schema WHERE name = 'outbox'") ?? ""
        guard definition.hasPrefix("CREATE TABLE outbox ("), definition.contains(before) else {
            throw DatabaseError(message: "the outbox table is not the one v1-v5 made")
        }
        let counter = try Int64.fetchOne(db, sql: "SELECT seq FROM sqlite_sequence WHERE name = 'outbox'")
        let create = "CREATE TABLE outbox_v6 (" + definition.dropFirst("CREATE TABLE outbox (".count)
        try db.execute(sql: create.replacingOccurrences(of: before, with: after))
        try db.execute(
            sql: """
                INSERT INTO outbox_v6 SELECT * FROM outbox ORDER BY position;
                DROP TABLE outbox;
                ALTER TABLE outbox_v6 RENAME TO outbox;
                CREATE INDEX outbox_queued ON outbox(position) WHERE state = 0;
                CREATE INDEX outbox_rejected_unreported ON outbox(position) WHERE state = 2 AND reported_at IS NULL;
                """)
        if let counter {
            try db.execute(
                sql: "UPDATE sqlite_sequence SET seq = max(seq, ?) WHERE name = 'outbox'", arguments: [counter])
        }
    }

    /// What a node store's file is: `application_id` "RBND" (set at open, with `user_version` = the number of
    /// migrations); every node store has "v1-node", marked or not.
    static var schema: DurableSQLite.Schema {
        DurableSQLite.Schema(
            applicationId: StoreIdentity.nodeApplicationId, firstMigration: "v1-node", migrator: migrator)
    }
}
