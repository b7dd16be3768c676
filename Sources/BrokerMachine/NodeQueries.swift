import StoreModel

/// A node's QUERY on its way through the store thread (1/RBP §7.14): who asked, on which connection, with which
/// `ref`, and what the answer may hold.
public struct NodeQueryTicket: Sendable, Hashable {
    public var node: String
    public var routingId: [UInt8]
    public var ref: String
    /// Overdue queries: the most items the answer holds.
    public var limit: Int

    public init(node: String, routingId: [UInt8], ref: String, limit: Int = 0) {
        (self.node, self.routingId, self.ref, self.limit) = (node, routingId, ref, limit)
    }
}

/// What a node's query reads: the same rows as ADMIN CASE and OVERDUE, filtered by the machine afterwards.
public enum NodeQueryRead: Sendable, Hashable {
    case caseInfo(caseId: String)
    /// The overdue window of ADMIN OVERDUE (at most `AdminRead.overdueLimit` rows, oldest due first) at `now`,
    /// with the referrer of each of their cases.
    case overdue(now: Int64)
}

public enum NodeQueryReadResult: Sendable, Hashable {
    case caseInfo(CaseInfo)
    /// `referrers`: case id → the case's referrer, for the cases of `records` that have a case row.
    case overdue([DeadlineRecord], referrers: [String: String])
    case failed
}
