import GRDB
import SQLiteRaw

// Ordered, forward-only migrations. Never edit a shipped migration: append a new one ("v2-...").
//
// Every row and index entry below is written at the broker's full rate, so the schema is lean:
// - messages: one row per accepted message; `UNIQUE(sender, message_id)` is the dedupe key forever (the body may
//   be purged later, the digest stays). AUTOINCREMENT so a seq is never reused, even if the newest row were
//   ever deleted. `recipients` is comma-joined (node ids never contain commas).
// - deliveries: one row per (message, recipient); the partial index `deliveries_open` (v7) holds only pending
//   rows, by recipient (the pages read per node), `deliveries_dead` only dead ones (rare; feeds dead-letter counts).
//   `receipt_id` links the delivery's receipt, so the trail needs no index on receipts.seq.
// - receipts: one per acked/dead delivery; `receipts_open` (v7) holds only unconfirmed ones, by sender.
// - events: exceptional trail events only (rare), indexed by seq for the trail.
// - held_cases: current holds (small).
// - cases, deadlines: see v3-cases, v4-followup and v6-deadline-notice.
// - retention: see v11-retention.
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
        // What an escalation notice names (issue 9): the kind, seq, sender and message id of the message that set
        // the item's first deadline, and that first due time, in columns of their own instead of a text that also
        // held the policy ("v1;<kind>;<seq>;<sender>;<message id>;<original due>;<snapshot>"). Rows in that
        // layout are rewritten in place; `policy` keeps only CaseCore's `PolicySnapshot.encoded`.
        migrator.registerMigration("v6-deadline-notice") { db in
            try db.execute(
                sql: """
                    ALTER TABLE deadlines ADD COLUMN notice_kind TEXT;
                    ALTER TABLE deadlines ADD COLUMN armed_by INTEGER;
                    ALTER TABLE deadlines ADD COLUMN notice_sender TEXT;
                    ALTER TABLE deadlines ADD COLUMN notice_message_id TEXT;
                    ALTER TABLE deadlines ADD COLUMN original_due INTEGER;
                    """)
            try DeadlineNoticeColumns.split(db)
        }
        // The broker keeps only a window of open deliveries and unconfirmed receipts in memory, per node, and reads
        // the rest a page at a time (docs/DESIGN.md): the open-row indexes are keyed by node first (each replaces
        // an index of the same size). `node_backlog` counts each node's open deliveries and unconfirmed receipts,
        // kept by triggers in the transaction that changes them, so start-up reads one row per node instead of
        // counting a backlog (a million index entries take about a second here).
        migrator.registerMigration("v7-per-node-windows") { db in
            try db.execute(
                sql: """
                    DROP INDEX deliveries_pending;
                    CREATE INDEX deliveries_open ON deliveries(recipient, seq) WHERE state = 0;
                    DROP INDEX receipts_unconfirmed;
                    CREATE INDEX receipts_open ON receipts(sender, id) WHERE confirmed_at IS NULL;

                    CREATE TABLE node_backlog (
                        node TEXT PRIMARY KEY,
                        open_deliveries INTEGER NOT NULL DEFAULT 0,
                        unconfirmed_receipts INTEGER NOT NULL DEFAULT 0
                    ) WITHOUT ROWID, STRICT;
                    INSERT INTO node_backlog (node, open_deliveries)
                        SELECT recipient, count(*) FROM deliveries WHERE state = 0 GROUP BY recipient;
                    INSERT INTO node_backlog (node, unconfirmed_receipts)
                        SELECT sender, count(*) FROM receipts WHERE confirmed_at IS NULL GROUP BY sender
                        ON CONFLICT (node) DO UPDATE SET unconfirmed_receipts = excluded.unconfirmed_receipts;
                    \(Self.backlogTriggers)
                    """)
        }
        // The store keeps `node_backlog` itself (`BacklogDeltas`): a batch counts the deliveries and receipts it opens
        // and closes per node and writes one upsert per node before it commits, instead of the triggers running one
        // statement per row (four per message of the usual one-recipient traffic). The DELETE triggers stay: the
        // store never deletes those rows, but an operator's edit still keeps the counts exact.
        migrator.registerMigration("v8-backlog-by-batch") { db in
            try db.execute(
                sql: """
                    DROP TRIGGER deliveries_opened;
                    DROP TRIGGER deliveries_closed;
                    DROP TRIGGER receipts_opened;
                    DROP TRIGGER receipts_confirmed;
                    """)
        }
        // Operators repair dead letters (issue 10, ADMIN-1 REDRIVE and DISCARD): `discarded_at` closes a dead letter for
        // good (a redrive to a corrected recipient closes the old one the same way) while its row, reason and receipt
        // stay for the trail. `deliveries_dead` holds only the open dead letters, by recipient then seq (the list's
        // filter and order); a released lane is read back through `messages_case`, so no index by case is needed.
        migrator.registerMigration("v9-repair") { db in
            try db.execute(
                sql: """
                    ALTER TABLE deliveries ADD COLUMN discarded_at INTEGER;
                    DROP INDEX deliveries_dead;
                    CREATE INDEX deliveries_dead ON deliveries(recipient, seq) WHERE state = 2 AND discarded_at IS NULL;
                    """)
        }
        // Operators' node overrides (ADMIN-1 NODE-SUSPEND / NODE-RESUME / NODE-ROTATE-KEY): one row per node that
        // has one, applied on top of the directory file at start and after every reload (docs/DESIGN.md).
        migrator.registerMigration("v10-node-overrides") { db in
            try db.execute(
                sql: """
                    CREATE TABLE node_overrides (
                        node TEXT PRIMARY KEY,
                        suspended_reason TEXT,
                        suspended_by TEXT,
                        suspended_at INTEGER,
                        public_key TEXT,
                        directory_key TEXT,
                        previous_key TEXT,
                        previous_until INTEGER,
                        rotated_by TEXT,
                        rotated_at INTEGER
                    ) WITHOUT ROWID, STRICT;
                    """)
        }
        // Retention (issue 10): a message's body is purged (set NULL) a configured time after its case closed, after
        // its deliveries settled, or after its dead letter; the row, its digest and size stay. `body_purged_at` says
        // when (the trail shows it), `body_size` keeps the body's length, and `messages_unpurged` holds only
        // messages whose body is still there, in seq order: a purge walks it from the oldest and stops at the
        // first message too young to be purged by any rule.
        migrator.registerMigration("v11-retention") { db in
            try db.execute(
                sql: """
                    ALTER TABLE messages ADD COLUMN body_purged_at INTEGER;
                    ALTER TABLE messages ADD COLUMN body_size INTEGER;
                    CREATE INDEX messages_unpurged ON messages(seq) WHERE body_purged_at IS NULL;
                    """)
        }
        // STATS and /metrics (issue 10) count what is open at every scrape: `cases_status` lets the count of open
        // cases by status seek the open statuses instead of scanning every case ever opened, and
        // `deadlines_open_stats` covers the open deadlines' grouping (county, risk, overdue) so that it reads only
        // the open rows' index entries, never the table (`state` is in it only so that SQLite sees it covering). Both are written only when a case or deadline changes.
        migrator.registerMigration("v12-metrics-indexes") { db in
            try db.execute(
                sql: """
                    CREATE INDEX cases_status ON cases(status);
                    CREATE INDEX deadlines_open_stats ON deadlines(region, risk, due_at, level, state) WHERE state = 0;
                    """)
        }
        // The dashboard's recent escalations (OVERDUE `escalated`, latest first) read the open escalated rows in
        // the order they are shown, stopping at the limit, instead of sorting every one of them at every load.
        migrator.registerMigration("v13-recent-escalations") { db in
            try db.execute(
                sql: """
                    CREATE INDEX deadlines_open_escalated_recent ON deadlines(created_at DESC, id DESC)
                    WHERE state = 0 AND level > 0;
                    """)
        }
        return migrator
    }

    /// v7 kept `node_backlog` exact with these: +1 when a delivery is stored pending or a receipt unconfirmed, -1
    /// when it leaves that state (or its row is deleted). v8 drops all but the DELETE ones.
    static let backlogTriggers = """
        CREATE TRIGGER deliveries_opened AFTER INSERT ON deliveries WHEN NEW.state = 0 BEGIN
            INSERT INTO node_backlog (node, open_deliveries) VALUES (NEW.recipient, 1)
            ON CONFLICT (node) DO UPDATE SET open_deliveries = open_deliveries + 1;
        END;
        CREATE TRIGGER deliveries_closed AFTER UPDATE OF state ON deliveries
        WHEN OLD.state = 0 AND NEW.state != 0 BEGIN
            UPDATE node_backlog SET open_deliveries = open_deliveries - 1 WHERE node = OLD.recipient;
        END;
        CREATE TRIGGER deliveries_deleted AFTER DELETE ON deliveries WHEN OLD.state = 0 BEGIN
            UPDATE node_backlog SET open_deliveries = open_deliveries - 1 WHERE node = OLD.recipient;
        END;
        CREATE TRIGGER receipts_opened AFTER INSERT ON receipts WHEN NEW.confirmed_at IS NULL BEGIN
            INSERT INTO node_backlog (node, unconfirmed_receipts) VALUES (NEW.sender, 1)
            ON CONFLICT (node) DO UPDATE SET unconfirmed_receipts = unconfirmed_receipts + 1;
        END;
        CREATE TRIGGER receipts_confirmed AFTER UPDATE OF confirmed_at ON receipts
        WHEN OLD.confirmed_at IS NULL AND NEW.confirmed_at IS NOT NULL BEGIN
            UPDATE node_backlog SET unconfirmed_receipts = unconfirmed_receipts - 1 WHERE node = OLD.sender;
        END;
        CREATE TRIGGER receipts_deleted AFTER DELETE ON receipts WHEN OLD.confirmed_at IS NULL BEGIN
            UPDATE node_backlog SET unconfirmed_receipts = unconfirmed_receipts - 1 WHERE node = OLD.sender;
        END;
        """

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

/// Migration `v6-deadline-notice`: moves the notice out of the old `policy` text into its columns.
enum DeadlineNoticeColumns {
    /// Rewrites every row whose `policy` has the old layout, in id order, a slice at a time (a store may hold a
    /// million deadlines). A row that does not parse is left as it was (its notice stays NULL).
    static func split(_ db: Database) throws {
        let select = try db.makeStatement(
            sql: "SELECT id, policy FROM deadlines WHERE id > ? AND policy LIKE 'v1;%' ORDER BY id LIMIT 10000")
        let update = try db.makeStatement(
            sql: """
                UPDATE deadlines SET notice_kind = ?, armed_by = ?, notice_sender = ?, notice_message_id = ?,
                original_due = ?, policy = ? WHERE id = ?
                """)
        var after: Int64 = 0
        while true {
            let rows = try Row.fetchAll(select, arguments: [after])
            guard let last = rows.last else { return }
            after = last[0]
            for row in rows {
                let text: String = row[1]
                guard let (notice, policy) = parse(text) else { continue }
                try update.execute(arguments: [
                    notice.kind, notice.armedBy, notice.sender, notice.messageId, notice.originalDue, policy, row[0],
                ])
            }
        }
    }

    /// `v1;<kind>;<seq>;<sender>;<message id>;<original due>;<snapshot>` (none of the first five holds `;`).
    static func parse(_ text: String) -> (DeadlineNotice, policy: String)? {
        let parts = text.split(separator: ";", maxSplits: 6, omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 7, parts[0] == "v1", let seq = Int64(parts[2]), let due = Int64(parts[5]) else {
            return nil
        }
        return (
            DeadlineNotice(kind: parts[1], armedBy: seq, sender: parts[3], messageId: parts[4], originalDue: due),
            parts[6]
        )
    }
}
