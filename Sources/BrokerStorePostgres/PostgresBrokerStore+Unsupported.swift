import StoreModel

// The parts of `BrokerStoring` still to be written for PostgreSQL (issue 12, slice 2). Each moves out of this file
// into one of its own (`PostgresBrokerStore+Run.swift`, `+Reads.swift`, …) when it is implemented; the conformance
// suite says which remain.
extension PostgresBrokerStore: BrokerStoring {
    public func openDeliveries(recipient: String, afterSeq: Int64, limit: Int) throws -> [OpenDelivery] {
        throw unsupported("openDeliveries")
    }
    public func openDeliveryCounts() throws -> [String: Int] { throw unsupported("openDeliveryCounts") }
    public func loadHeldCases() throws -> [HeldCase] { throw unsupported("loadHeldCases") }
    public func nodeOverrides() throws -> [NodeOverride] { throw unsupported("nodeOverrides") }
    public func backlogPage(recipient: String, afterSeq: Int64, limit: Int) throws -> BacklogPage {
        throw unsupported("backlogPage")
    }
    public func unconfirmedReceipts(sender: String, afterId: Int64, limit: Int) throws -> [ReceiptRecord] {
        throw unsupported("unconfirmedReceipts")
    }
    public func unconfirmedReceiptCounts() throws -> [String: Int] { throw unsupported("unconfirmedReceiptCounts") }
    public func deadLetterCounts() throws -> [String: Int] { throw unsupported("deadLetterCounts") }
    public func loadMessages(seqs: [Int64]) throws -> [StoredMessage] { throw unsupported("loadMessages") }
    public func trail(sender: String, messageId: String) throws -> [TrailEntry] { throw unsupported("trail") }
    public func trail(caseId: String) throws -> [TrailEntry] { throw unsupported("trail") }
    public func caseRecord(id: String) throws -> CaseRecord? { throw unsupported("caseRecord") }
    public func openDeadlines(caseId: String, limit: Int) throws -> [DeadlineRecord] {
        throw unsupported("openDeadlines")
    }
    public func deadline(id: Int64) throws -> DeadlineRecord? { throw unsupported("deadline") }
    public func dueDeadlines(before: Int64, limit: Int) throws -> [DeadlineRecord] {
        throw unsupported("dueDeadlines")
    }
    public func nextDueAt() throws -> Int64? { throw unsupported("nextDueAt") }
    public func openDeadlineCount() throws -> Int { throw unsupported("openDeadlineCount") }
    public func overdue(
        now: Int64, regionPrefix: String?, agency: String?, risk: String?, escalatedOnly: Bool, limit: Int
    ) throws -> [DeadlineRecord] { throw unsupported("overdue") }
    public func aggregates(now: Int64) throws -> StoreAggregates { throw unsupported("aggregates") }
    public func verifyAudit() throws -> AuditVerification { throw unsupported("verifyAudit") }
    public func exportAudit(since: Int64, limit: Int?) throws -> [AuditRecordRow] { throw unsupported("exportAudit") }
    public func deadLetters(_ filter: DeadLetterFilter) throws -> [DeadLetterRecord] {
        throw unsupported("deadLetters")
    }
    public func deadLetter(seq: Int64, recipient: String) throws -> DeadLetterDetail? {
        throw unsupported("deadLetter")
    }
    public func heldLanes(recipient: String?, limit: Int) throws -> [HeldLaneRecord] { throw unsupported("heldLanes") }
    public func laneDeliveries(recipient: String, caseId: String, afterSeq: Int64, throughSeq: Int64, limit: Int)
        throws -> [OpenDelivery]
    { throw unsupported("laneDeliveries") }
}
