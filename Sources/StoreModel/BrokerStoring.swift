/// What the broker's store thread and start-up need from a store backend: run a batch of units of work in one
/// transaction, and the reads. SQLite (`BrokerStore`) implements it today; a second backend (PostgreSQL) must pass
/// the same conformance suite (Tests/BrokerStoreConformanceTests).
///
/// A backend is used by one thread at a time (the store thread owns it): it need not lock, but it may be handed
/// from the thread that opened it to the store thread.
public protocol BrokerStoring: AnyObject, Sendable {
    /// The store's identity (16 octets): announced in WELCOME, replaced when an operator accepts a roll-back.
    var epoch: [UInt8] { get }
    /// Counters of committed batches since the store was opened.
    var statistics: StoreStatistics { get }
    /// Whether the backend could not record, after its last commits, how far it had got (the daemon logs it).
    var isMarkBehind: Bool { get }
    /// Why the audit chain's tail, checked at open, does not verify (nil: it does, or the trail is empty). The daemon
    /// records it in the chain and runs on (docs/AUDIT.md).
    var auditTailProblem: String? { get }

    /// Runs the units in ONE transaction, in order, and returns one result per unit. On any error nothing of the
    /// batch is stored and the error is thrown. An empty batch does nothing.
    func run(_ units: [StoreUnit]) throws -> [UnitResult]

    /// One recipient's pending deliveries with seq after `afterSeq`, by seq, at most `limit`.
    func openDeliveries(recipient: String, afterSeq: Int64, limit: Int) throws -> [OpenDelivery]
    /// Recipient -> number of pending deliveries (recipients without any are absent).
    func openDeliveryCounts() throws -> [String: Int]
    /// Every held (case, recipient), by case id then recipient.
    func loadHeldCases() throws -> [HeldCase]
    /// Every operator's node override (`node_overrides`), by node.
    func nodeOverrides() throws -> [NodeOverride]
    /// NODE-BACKLOG: a page of one recipient's open deliveries after `afterSeq` (at most `limit`), and when its oldest
    /// open one was accepted.
    func backlogPage(recipient: String, afterSeq: Int64, limit: Int) throws -> BacklogPage
    /// One sender's unconfirmed receipts with id after `afterId`, by id, at most `limit`.
    func unconfirmedReceipts(sender: String, afterId: Int64, limit: Int) throws -> [ReceiptRecord]
    /// Sender -> number of unconfirmed receipts (senders without any are absent).
    func unconfirmedReceiptCounts() throws -> [String: Int]
    /// The highest receipt number ever written or reserved (0: none). The machine numbers new receipts after it,
    /// so a number is never given twice (1/RBP §12.4), also after an accepted loss or, for a replicated backend, a
    /// failover (read again by the node that takes over).
    func lastReceiptId() throws -> Int64
    /// Recipient -> number of dead-lettered deliveries (recipients without any are absent).
    func deadLetterCounts() throws -> [String: Int]
    /// The messages with these seqs, bodies included, in no particular order; unknown seqs are left out.
    func loadMessages(seqs: [Int64]) throws -> [StoredMessage]

    /// The trail of one message (empty if unknown).
    func trail(sender: String, messageId: String) throws -> [TrailEntry]
    /// The trail of every message of a case, merged in time order (empty if unknown).
    func trail(caseId: String) throws -> [TrailEntry]
    /// The case row, nil if unknown.
    func caseRecord(id: String) throws -> CaseRecord?
    /// The open deadlines of one case, by due time then id, at most `limit`.
    func openDeadlines(caseId: String, limit: Int) throws -> [DeadlineRecord]
    /// One deadline in whatever state, nil if unknown.
    func deadline(id: Int64) throws -> DeadlineRecord?
    /// The earliest open deadlines due before `before`, by due time then id, at most `limit`.
    func dueDeadlines(before: Int64, limit: Int) throws -> [DeadlineRecord]
    /// Due time of the earliest open deadline, nil when none is open.
    func nextDueAt() throws -> Int64?
    /// Number of open deadlines.
    func openDeadlineCount() throws -> Int
    /// Open deadlines due by `now` or of a later escalation level, filtered by a division code prefix, an agency
    /// and a risk level (nil or empty: no filter), by due time then id, at most `limit`. `escalatedOnly`: only those
    /// of a later escalation level, the latest escalation first (by the row's creation: the step an escalation set).
    func overdue(
        now: Int64, regionPrefix: String?, agency: String?, risk: String?, escalatedOnly: Bool, limit: Int
    ) throws -> [DeadlineRecord]

    /// Open cases by status and open deadlines by county and risk, with how many are overdue at `now` (STATS,
    /// /metrics): must stay fast with 100,000 open cases (an index range, no table scan).
    func aggregates(now: Int64) throws -> StoreAggregates

    /// Recomputes the audit hash chain (docs/AUDIT.md) and reports the first bad record.
    func verifyAudit() throws -> AuditVerification
    /// The audit records with `at >= since`, in id order, at most `limit` (nil: all).
    func exportAudit(since: Int64, limit: Int?) throws -> [AuditRecordRow]
    /// A consistent copy of the store at `path` (absolute, new), made on the store's own connection; its size.
    /// Throws `BackupRefused` before writing anything when the target cannot be used.
    func backup(to path: String) throws -> Int64

    /// Open dead letters matching the filter, by (seq, recipient), at most `filter.limit` (ADMIN-1 DEAD-LETTERS).
    func deadLetters(_ filter: DeadLetterFilter) throws -> [DeadLetterRecord]
    /// One open dead letter with its headers, body size and digest and trail; nil when there is none.
    func deadLetter(seq: Int64, recipient: String) throws -> DeadLetterDetail?
    /// Held lanes (of one recipient, or all), by case id then recipient, with their open deliveries counted.
    func heldLanes(recipient: String?, limit: Int) throws -> [HeldLaneRecord]
    /// A released lane read back: its open deliveries with seq in (`afterSeq`, `throughSeq`], by seq, at most `limit`.
    func laneDeliveries(recipient: String, caseId: String, afterSeq: Int64, throughSeq: Int64, limit: Int) throws
        -> [OpenDelivery]
    /// One step of a purge run (retention, issue 10): in a transaction of its own, purges the bodies `step.periods`
    /// allow among the next `step.limit` messages whose body is still stored, keeping every row, trail and audit
    /// record, and gives freed pages back to the file system.
    func purgeBodies(_ step: PurgeStep) throws -> PurgeStepResult

    /// Gives back memory kept only for speed (caches); the broker calls it when idle after work. Never fails.
    func releaseMemory()

    /// Closes the store; later calls throw.
    func close() throws
}

extension BrokerStoring {
    /// Every pending delivery, by seq then recipient (after a restart nothing is in flight), read node by node. For
    /// tools and tests: the broker keeps a window per node and reads pages (docs/DESIGN.md).
    public func loadOpenDeliveries() throws -> [OpenDelivery] {
        try openDeliveryCounts().keys.flatMap { try openDeliveries(recipient: $0, afterSeq: 0, limit: .max) }
            .sorted { ($0.seq, $0.recipient) < ($1.seq, $1.recipient) }
    }

    /// Every receipt its sender has not confirmed, by id, read sender by sender. For tools and tests.
    public func loadUnconfirmedReceipts() throws -> [ReceiptRecord] {
        try unconfirmedReceiptCounts().keys.flatMap { try unconfirmedReceipts(sender: $0, afterId: 0, limit: .max) }
            .sorted { $0.id < $1.id }
    }
}
