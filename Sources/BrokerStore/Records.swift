// The SQLite store's own API types (the shared records are in StoreModel). No GRDB types leak out.

/// One change in a batch given to `BrokerStore.apply(_:)`.
public enum StoreOp: Sendable {
    /// Inserts the message and one pending delivery (attempts 0) per recipient.
    /// Result: `.accept(...)`.
    case accept(NewMessage)
    /// `.accept` of a message that moves a case, decided against the case row inside the transaction: a
    /// resend of a stored message is a duplicate (or conflict) whatever the case says now; otherwise
    /// `check.decide` gets the stored row (nil if none) and either refuses (nothing written; result
    /// `.caseRefused`) or gives the new row, written with the message (and, when the move ends the case,
    /// every open deadline of the case is cancelled). Result: `.accept(...)` or `.caseRefused(...)`.
    case acceptTracked(NewMessage, CaseMoveCheck)
    /// Pending delivery -> acked, plus a receipt (outcome 0) for the sender.
    /// Result: `.receipt(...)`, or `.none` if the delivery is unknown or no longer pending.
    case delivered(seq: Int64, recipient: String, at: Int64, attempts: Int, firstAttemptAt: Int64)
    /// Pending delivery -> dead with reason, plus a receipt (outcome 1). If `holdCase` and the message has a
    /// case id, holds (case id, recipient) unless already held.
    /// Result: `.receipt(...)`, or `.none` if the delivery is unknown or no longer pending.
    case deadLettered(
        seq: Int64, recipient: String, at: Int64, attempts: Int, firstAttemptAt: Int64?, reason: String,
        holdCase: Bool)
    /// The sender confirmed the receipt. Result: `.none`.
    case receiptConfirmed(id: Int64, at: Int64)
    /// Stores an exceptional trail event. Result: `.none`.
    case event(TrailEventRecord)
    /// Appends a record to the hash-chained audit trail, in this batch's transaction (docs/AUDIT.md). Result:
    /// `.none`.
    ///
    /// Three events are tied to the change they record when that change is an op EARLIER IN THE SAME BATCH, so
    /// the trail never claims what did not happen:
    /// - "accepted" with `node` = sender and `messageId` of an `.accept`: written only if that accept stored the
    ///   message (once per stored message; `seq` filled in when nil); left out after a duplicate or a conflict.
    /// - "acked" / "dead-lettered" with `seq` and `recipient` of a `.delivered` / `.deadLettered`: written only
    ///   if that op closed the pending delivery (once).
    /// Without such an earlier op in the batch, and for every other event, the record is written as given.
    case audit(AuditEvent)
    /// Inserts the case row, or replaces every column of an existing one with the record's values. Result: `.none`.
    case upsertCase(CaseRecord)
    /// Inserts an open deadline (the row is the timer). Result: `.deadline(id:)`.
    case addDeadline(NewDeadline)
    /// Closes every OPEN deadline of the case with this item (every item when `item` is nil) as `state` (`.met`
    /// or `.cancelled`; `.open` fails the batch) at `at`. Result: `.closedDeadlines(count:)` (0 when none was
    /// open). With `caseId` nil it closes the open deadlines without a case that have this item (an item is
    /// then required: a nil item fails the batch).
    case closeDeadlines(caseId: String?, item: String?, state: DeadlineState, at: Int64)
    /// Fires the deadline only if it is still open (idempotent): marks it `.fired` and inserts `next`, or
    /// `.exhausted` when `next` is nil. Result: `.fired(nextId:)`, or `.notFired` (nothing written) if the
    /// deadline is unknown or no longer open (met, cancelled, or already fired).
    case fireDeadline(id: Int64, at: Int64, next: NewDeadline?)
    /// `.addDeadline`, but only when the nearest `.accept` before it in this batch stored its message; the text
    /// `{seq}` in the deadline's `item` and `policy` is replaced by that message's seq (deadlines are named after
    /// the message that sets them, whose seq is known only once it is stored). Result: `.deadline(id:)` or `.none`.
    case addDeadlineIfStored(NewDeadline)
    /// `.closeDeadlines`, but only when the nearest `.accept` before it in this batch stored its message (the
    /// answer that meets a deadline). Result: `.closedDeadlines(count:)` or `.none`.
    case closeDeadlinesIfStored(caseId: String?, item: String?, state: DeadlineState, at: Int64)
    /// Meets the open delivery deadline of message `seq` to `recipient` (item `delivery:<seq>:<recipient>`, in the
    /// message's case or without a case). Result: `.closedDeadlines(count:)`.
    case closeDeliveryDeadline(seq: Int64, recipient: String, at: Int64)
    /// Meets the earliest open follow-up visit that `party` owes in the case (items `visit:N:party`, lowest N
    /// first). Result: `.closedDeadlines(count:)` (0 or 1).
    case meetFollowUpVisit(caseId: String, party: String, at: Int64)
    /// `.meetFollowUpVisit`, but only when the nearest `.accept` before it in this batch stored its message (a
    /// `followup.visit`). Result: `.closedDeadlines(count:)` or `.none`.
    case meetFollowUpVisitIfStored(caseId: String, party: String, at: Int64)
    /// Cancels every open follow-up visit deadline of the case whose `closers` include `closer` (the plan ends).
    /// Result: `.closedDeadlines(count:)`.
    case closeFollowUp(caseId: String, closer: String, at: Int64)
    /// `.closeFollowUp`, but only when the nearest `.accept` before it in this batch stored its message (a
    /// `followup.closed`). Result: `.closedDeadlines(count:)` or `.none`.
    case closeFollowUpIfStored(caseId: String, closer: String, at: Int64)
    /// `.accept`, but only when the nearest `.fireDeadline` before it in this batch fired (an escalation notice
    /// goes only if its deadline was still open). Result: `.accept(_)` or `.none`.
    case acceptIfFired(NewMessage)
    /// `.audit`, but only when the nearest `.fireDeadline` before it in this batch fired. Result: `.none`.
    case auditIfFired(AuditEvent)
}

/// Result of one `StoreOp`, in op order.
public enum StoreOpResult: Sendable, Hashable {
    case accept(AcceptResult)
    case receipt(ReceiptRecord)
    /// Of `.addDeadline`: the new deadline's id.
    case deadline(id: Int64)
    /// Of `.closeDeadlines`: how many open deadlines were closed.
    case closedDeadlines(count: Int)
    /// Of `.fireDeadline`: it was open and is now fired (with the id of the next deadline) or exhausted (nil).
    case fired(nextId: Int64?)
    /// Of `.fireDeadline`: it was not open any more (or unknown); nothing was written.
    case notFired
    /// Of `.acceptTracked`: the move is not allowed now; nothing was written.
    case caseRefused(code: String, reason: String)
    case none
}

/// The writer connection's settings, for a start-up log line and for tests.
public struct StoreSettings: Sendable, Hashable {
    /// "wal".
    public var journalMode: String
    /// 2 = FULL.
    public var synchronous: Int
    public var busyTimeoutMilliseconds: Int
    /// "exclusive": one process per store, the WAL index in heap memory.
    public var lockingMode: String
    /// `PRAGMA application_id`: a broker store's mark.
    public var applicationId: Int32
    /// `PRAGMA user_version`: the schema version.
    public var schemaVersion: Int
    /// Applied migrations, in order ("v1-core", ...).
    public var migrations: [String]
}

/// Every error thrown by `BrokerStore`: names the database path, the operation and the cause.
/// Never contains a message body or statement arguments.
public struct BrokerStoreError: Error, CustomStringConvertible, Sendable {
    public var path: String
    /// "open", "apply", "loadOpenDeliveries", ...
    public var operation: String
    /// Human-readable cause (SQLite error and statement, without arguments).
    public var cause: String
    /// SQLite extended result code, when the cause is an SQLite error.
    public var sqliteCode: Int32?
    /// Which class of failure this is (the daemon's exit code at start depends on it).
    public var kind: Kind

    /// Classes of store failure that need different fixes.
    public enum Kind: Sendable, Hashable {
        /// The folder cannot hold the store: not a directory, cannot be created.
        case notADirectory
        /// The file or its folder cannot be written (read-only mount, permissions).
        case readOnly
        /// Another process has the store open.
        case locked
        /// Not an SQLite database (truncated, overwritten) or corrupt.
        case damaged
        /// An SQLite database of another program.
        case foreign
        /// Written by a newer version of this program.
        case newer
        /// Holds less than it acknowledged (the high-water mark is ahead of it): rolled back, replaced or lost.
        case rolledBack
        case other

        /// What to do, for the classes SQLite itself reports (the store's own checks say it in their cause).
        var fix: String? {
            switch self {
            case .locked: "another program holds a lock on it (an sqlite3 shell, a second broker): stop it"
            case .readOnly: "it cannot be written (read-only mount or permissions): make it writable by referrald"
            case .damaged: "it is damaged: restore it from a backup (deploy/README.md, \"Store recovery\")"
            default: nil
            }
        }
    }

    public init(path: String, operation: String, cause: String, sqliteCode: Int32? = nil, kind: Kind? = nil) {
        self.path = path
        self.operation = operation
        self.cause = cause
        self.sqliteCode = sqliteCode
        self.kind = kind ?? Self.kind(ofSQLiteCode: sqliteCode)
    }

    /// The class of an SQLite (extended) result code.
    static func kind(ofSQLiteCode code: Int32?) -> Kind {
        switch code.map({ $0 & 0xff }) {
        case 5?, 6?: .locked  // SQLITE_BUSY, SQLITE_LOCKED
        case 8?: .readOnly  // SQLITE_READONLY
        case 11?, 26?: .damaged  // SQLITE_CORRUPT, SQLITE_NOTADB
        case 14?: .readOnly  // SQLITE_CANTOPEN: the folder or file cannot be opened for writing
        default: .other
        }
    }

    public var description: String {
        "broker store \(path): \(operation) failed: \(cause)"
    }
}
