import GRDB
import SQLiteRaw

// Ordered, forward-only migrations. Never edit a shipped migration: append a new one ("v2-...").
//
// Every row and index entry below is written at the broker's full rate, so the schema is lean:
// - messages: one row per accepted message; `UNIQUE(sender, message_id)` is the dedupe key forever (the body may
//   be purged later, the digest stays). AUTOINCREMENT so a seq is never reused, even if the newest row were
//   ever deleted. `recipients` is comma-joined (node ids never contain commas).
// - deliveries: one row per (message, recipient); the partial index `deliveries_pending` holds only pending
//   rows (what is loaded at start), `deliveries_dead` only dead ones (rare; feeds dead-letter counts).
//   `receipt_id` links the delivery's receipt, so the trail needs no index on receipts.seq.
// - receipts: one per acked/dead delivery; `receipts_unconfirmed` holds only unconfirmed ones.
// - events: exceptional trail events only (rare), indexed by seq for the trail.
// - held_cases: current holds (small).
enum Schema {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-core") { db in
            try db.execute(
                sql: """
                    CREATE TABLE messages (
                        seq INTEGER PRIMARY KEY AUTOINCREMENT,
                        sender TEXT NOT NULL,
                        message_id TEXT NOT NULL,
                        digest BLOB NOT NULL,
                        kind TEXT NOT NULL,
                        case_id TEXT,
                        priority INTEGER NOT NULL CHECK (priority BETWEEN 0 AND 2),
                        recipients TEXT NOT NULL,
                        accepted_at INTEGER NOT NULL,
                        body BLOB,
                        UNIQUE (sender, message_id)
                    ) STRICT;
                    CREATE INDEX messages_case ON messages(case_id) WHERE case_id IS NOT NULL;

                    CREATE TABLE deliveries (
                        seq INTEGER NOT NULL,
                        recipient TEXT NOT NULL,
                        state INTEGER NOT NULL DEFAULT 0 CHECK (state IN (0, 1, 2)),
                        attempts INTEGER NOT NULL DEFAULT 0,
                        first_attempt_at INTEGER,
                        done_at INTEGER,
                        reason TEXT,
                        receipt_id INTEGER,
                        PRIMARY KEY (seq, recipient)
                    ) WITHOUT ROWID, STRICT;
                    CREATE INDEX deliveries_pending ON deliveries(seq) WHERE state = 0;
                    CREATE INDEX deliveries_dead ON deliveries(recipient) WHERE state = 2;

                    CREATE TABLE receipts (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        sender TEXT NOT NULL,
                        seq INTEGER NOT NULL,
                        recipient TEXT NOT NULL,
                        outcome INTEGER NOT NULL CHECK (outcome IN (0, 1)),
                        at INTEGER NOT NULL,
                        reason TEXT,
                        confirmed_at INTEGER
                    ) STRICT;
                    CREATE INDEX receipts_unconfirmed ON receipts(id) WHERE confirmed_at IS NULL;

                    CREATE TABLE events (
                        id INTEGER PRIMARY KEY,
                        at INTEGER NOT NULL,
                        seq INTEGER NOT NULL,
                        recipient TEXT,
                        event TEXT NOT NULL,
                        attempt INTEGER,
                        detail TEXT
                    ) STRICT;
                    CREATE INDEX events_seq ON events(seq);

                    CREATE TABLE held_cases (
                        case_id TEXT NOT NULL,
                        recipient TEXT NOT NULL,
                        seq INTEGER NOT NULL,
                        since INTEGER NOT NULL,
                        reason TEXT NOT NULL,
                        PRIMARY KEY (case_id, recipient)
                    ) WITHOUT ROWID, STRICT;
                    """)
        }
        // The hash-chained audit trail (docs/AUDIT.md). `id` is assigned by the store (previous id + 1), never
        // reused; `hash` = SHA-256(previous hash || canonical bytes). `audit_at` serves exports by time.
        // The triggers make the table append-only for every connection, the store's included: an UPDATE or
        // DELETE of an audit row aborts its statement. They are a guard against mistakes and casual edits, not
        // against someone who can write the file (who can drop them): the hash chain is what detects that.
        migrator.registerMigration("v2-audit") { db in
            try db.execute(
                sql: """
                    CREATE TABLE audit (
                        id INTEGER PRIMARY KEY,
                        at INTEGER NOT NULL,
                        event TEXT NOT NULL,
                        node TEXT,
                        peer TEXT,
                        key_fingerprint TEXT,
                        message_id TEXT,
                        seq INTEGER,
                        recipient TEXT,
                        kind TEXT,
                        code TEXT,
                        detail TEXT,
                        hash BLOB NOT NULL
                    ) STRICT;
                    CREATE INDEX audit_at ON audit(at);

                    CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
                    BEGIN SELECT RAISE(ABORT, 'audit records are append-only'); END;
                    CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
                    BEGIN SELECT RAISE(ABORT, 'audit records are append-only'); END;
                    """)
        }
        // Cases and durable deadlines (issue 4). A deadline row is a timer: `deadlines_open_due` holds only open
        // rows in firing order (the daemon reads the next small window from it, never all open rows),
        // `deadlines_open_case` only open rows by case (to meet or cancel them when an answer arrives).
        // Closed rows (state 1 met, 2 fired-and-replaced, 3 exhausted, 4 cancelled) leave both indexes.
        // `policy` is the snapshot of the policy in force when the deadline was set.
        migrator.registerMigration("v3-cases") { db in
            try db.execute(
                sql: """
                    CREATE TABLE cases (
                        case_id TEXT PRIMARY KEY,
                        status TEXT NOT NULL,
                        referrer TEXT,
                        service TEXT,
                        attempt INTEGER NOT NULL DEFAULT 1,
                        opened_at INTEGER,
                        updated_at INTEGER,
                        risk TEXT
                    ) WITHOUT ROWID, STRICT;

                    CREATE TABLE deadlines (
                        id INTEGER PRIMARY KEY,
                        case_id TEXT,
                        item TEXT NOT NULL,
                        due_at INTEGER NOT NULL,
                        level INTEGER NOT NULL DEFAULT 0,
                        policy TEXT NOT NULL,
                        state INTEGER NOT NULL DEFAULT 0 CHECK (state BETWEEN 0 AND 4),
                        created_at INTEGER,
                        closed_at INTEGER,
                        region TEXT,
                        agency TEXT,
                        risk TEXT
                    ) STRICT;
                    CREATE INDEX deadlines_open_due ON deadlines(due_at, id) WHERE state = 0;
                    CREATE INDEX deadlines_open_case ON deadlines(case_id) WHERE state = 0;
                    """)
        }
        // Follow-up plans (issue 4): `closers` lists the nodes whose `followup.closed` ends a visit deadline
        // (the notice's sender and the plan's owner), comma-separated; NULL for every other deadline.
        // `deadlines_open_escalated` lets OVERDUE find open rows of a later level without scanning the open rows.
        migrator.registerMigration("v4-followup") { db in
            try db.execute(
                sql: """
                    ALTER TABLE deadlines ADD COLUMN closers TEXT;
                    CREATE INDEX deadlines_open_escalated ON deadlines(due_at, id) WHERE state = 0 AND level > 0;
                    """)
        }
        // The store's identity (issue 8): `application_id` marks the file as a referrald broker store, and the
        // epoch (16 random octets, replaced when an operator accepts a roll-back) ties the store to its
        // high-water mark file (`HighWaterMarkFile`).
        migrator.registerMigration("v5-identity") { db in
            try db.execute(
                sql: """
                    CREATE TABLE store_identity (epoch BLOB NOT NULL) STRICT;
                    INSERT INTO store_identity (epoch) VALUES (randomblob(16));
                    PRAGMA application_id = \(applicationId);
                    """)
        }
        return migrator
    }

    /// `PRAGMA application_id` of a broker store: "RBRK".
    static let applicationId = StoreIdentity.brokerApplicationId
    /// `PRAGMA user_version` of a store migrated by this version: the number of migrations.
    static let version = migrator.migrations.count
    /// The migration every broker store has, marked or not.
    static let firstMigration = "v1-core"
    /// What a broker store's file is, for `DurableSQLite`.
    static var durable: DurableSQLite.Schema {
        DurableSQLite.Schema(applicationId: applicationId, firstMigration: firstMigration, migrator: migrator)
    }
}
