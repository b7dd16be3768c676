import ReferralProtocol
import StoreModel

/// Where an admin reply goes: the client's routing id, and whether its request began with the empty delimiter
/// of a REQ socket, which the reply must carry back.
public struct AdminPeer: Sendable, Hashable {
    public var routingId: [UInt8]
    public var delimited: Bool
    /// Set for a request asked inside the process (the HTTP listener's `BrokerQueries`), whose answer goes back
    /// to that ticket instead of the admin socket; nil for the socket's peers.
    public var inProcess: UInt64?

    public init(routingId: [UInt8], delimited: Bool) {
        (self.routingId, self.delimited) = (routingId, delimited)
    }

    /// The peer of an in-process request.
    public static func inProcess(ticket: UInt64) -> AdminPeer {
        var peer = AdminPeer(routingId: [], delimited: false)
        peer.inProcess = ticket
        return peer
    }
}

/// One request from the admin endpoint, decoded by the shell with `AdminCodec` (or why it could not be), with
/// what STATUS reports that only the shell knows.
public struct AdminArrival: Sendable {
    public var request: Result<AdminRequest, AdminError>
    public var replyTo: AdminPeer
    public var shell: ShellFacts

    public init(request: Result<AdminRequest, AdminError>, replyTo: AdminPeer, shell: ShellFacts) {
        (self.request, self.replyTo, self.shell) = (request, replyTo, shell)
    }
}

/// STATUS's facts about the process: when it started, the endpoint it bound, the store thread's counters, and
/// (PostgreSQL) the lease and the database as last read in the background (nil with SQLite).
public struct ShellFacts: Sendable, Hashable {
    public var startedAt: Int64
    public var endpoint: String
    public var store: StoreStatistics
    public var storeStatus: AdminStoreStatus?

    public init(startedAt: Int64, endpoint: String, store: StoreStatistics, storeStatus: AdminStoreStatus? = nil) {
        (self.startedAt, self.endpoint, self.store, self.storeStatus) = (startedAt, endpoint, store, storeStatus)
    }
}

/// An admin command's read of the store (ADMIN-1 TRAIL, CASE, OVERDUE, AUDIT-VERIFY, AUDIT-EXPORT).
public enum AdminRead: Sendable, Hashable {
    case trail(TrailQuery)
    /// The case row, the trail of its messages and its open deadlines.
    case caseInfo(caseId: String)
    /// Open deadlines due before `now`, filtered (nil: no filter); `region` is a division-code prefix; `escalated`:
    /// only those of level 1 or above, the latest escalation first; at most `limit` (at most `overdueLimit`).
    case overdue(
        now: Int64, region: String?, agency: String?, risk: String?, escalated: Bool = false,
        limit: Int = AdminRead.overdueLimit)
    case verifyAudit
    case exportAudit(since: Int64, limit: Int?)
    /// BACKUP: `VACUUM INTO` a new file, on the store thread (the store's only connection).
    case backup(path: String)
    /// DEAD-LETTERS: open dead letters (asked for one more than shown, to know whether more follow).
    case deadLetters(DeadLetterFilter)
    /// DEAD-LETTER.
    case deadLetter(seq: Int64, recipient: String)
    /// HELD.
    case held(recipient: String?)
    /// NODE-BACKLOG: a page of the node's open deliveries (headers only) and its oldest waiting.
    case nodeBacklog(node: String, afterSeq: Int64, limit: Int)
    /// STATS: the store's aggregates at `now` (`startedAt` is handed back with them for the reply).
    case stats(now: Int64, startedAt: Int64)

    /// At most this many overdue deadlines are read.
    public static let overdueLimit = 1_000
    /// At most this many held lanes are listed.
    public static let heldLimit = 10_000
}

public enum TrailQuery: Sendable, Hashable {
    case message(sender: String, id: String)
    case caseId(String)
}

/// What an admin read found, as the store thread read it.
public enum AdminReadResult: Sendable, Hashable {
    case trail([TrailEntry])
    case caseInfo(CaseInfo)
    case overdue([DeadlineRecord])
    case auditVerified(AuditVerification)
    case auditExported([ExportedAuditRecord])
    case backedUp(path: String, bytes: Int64, durationMs: Int64)
    /// The backup target could not be used; nothing was written.
    case backupRefused(reason: String)
    /// DEAD-LETTERS' rows (one more than `limit` when more follow).
    case deadLetters([DeadLetterRecord], limit: Int)
    /// DEAD-LETTER (nil: no such open dead letter).
    case deadLetter(DeadLetterDetail?)
    case held([HeldLaneRecord])
    case nodeBacklog(node: String, BacklogPage)
    case stats(StoreAggregates, startedAt: Int64)
    /// The read failed; `reason` names what could not be read.
    case failed(reason: String)
}

/// An exported audit record with the canonical JSON line (docs/AUDIT.md) whose bytes its hash covers: the line
/// is the store's to write, as the store owns the canonical form.
public struct ExportedAuditRecord: Sendable, Hashable {
    public var row: AuditRecordRow
    public var line: String

    public init(row: AuditRecordRow, line: String) {
        (self.row, self.line) = (row, line)
    }
}

/// Everything the broker has under one case id, as committed (ADMIN CASE). A case id can have messages and
/// deadlines without a case row: only `referral.request` opens a tracked case, while e.g. a discharge notice
/// with a follow-up plan has messages, and a crisis alert with a case deadlines, in a case of their own.
public struct CaseInfo: Sendable, Hashable {
    /// At most this many open deadlines are read (a case has a handful; this only bounds the reply).
    public static let deadlineLimit = 100

    public var caseId: String
    /// Nil when no `referral.request` opened the case.
    public var record: CaseRecord?
    public var events: [TrailEntry]
    /// Open deadlines, by due time then id, at most `deadlineLimit`.
    public var deadlines: [DeadlineRecord]
    /// More open deadlines exist than `deadlines` holds.
    public var deadlinesTruncated: Bool

    public init(
        caseId: String, record: CaseRecord?, events: [TrailEntry], deadlines: [DeadlineRecord], deadlinesTruncated: Bool
    ) {
        self.caseId = caseId
        self.record = record
        self.events = events
        self.deadlines = deadlines
        self.deadlinesTruncated = deadlinesTruncated
    }

    /// The broker has nothing at all under this case id (ADMIN CASE answers NOT_FOUND).
    public var isEmpty: Bool { record == nil && events.isEmpty && deadlines.isEmpty }
}
