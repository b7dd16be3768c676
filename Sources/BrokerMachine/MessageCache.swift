import BrokerStore
import ReferralProtocol

/// What DELIVER needs of an accepted message.
struct CachedMessage: Sendable {
    var seq: Int64
    var id: String
    var from: String
    var to: [String]
    var kind: String
    var caseId: String?
    var priority: Priority
    var acceptedAt: Int64
    var body: [UInt8]

    var cost: Int { body.count + 256 }

    /// A message the store has just committed as `seq`.
    init(_ pending: PendingAccept, seq: Int64) {
        let message = pending.message
        self.init(
            seq: seq, id: message.messageId, from: message.sender, to: message.recipients, kind: message.kind,
            caseId: message.caseId, priority: pending.priority, acceptedAt: message.acceptedAt, body: message.body)
    }

    /// A message read back from the store.
    init(_ stored: StoredMessage) {
        self.init(
            seq: stored.seq, id: stored.messageId, from: stored.sender, to: stored.recipients, kind: stored.kind,
            caseId: stored.caseId, priority: Priority(rank: stored.priority) ?? .routine,
            acceptedAt: stored.acceptedAt, body: stored.body)
    }

    init(
        seq: Int64, id: String, from: String, to: [String], kind: String, caseId: String?, priority: Priority,
        acceptedAt: Int64, body: [UInt8]
    ) {
        self.seq = seq
        self.id = id
        self.from = from
        self.to = to
        self.kind = kind
        self.caseId = caseId
        self.priority = priority
        self.acceptedAt = acceptedAt
        self.body = body
    }

    func deliver(attempt: Int) -> Deliver {
        Deliver(
            seq: seq, id: id, from: from, to: to, kind: kind, caseId: caseId, priority: priority,
            acceptedAt: acceptedAt, attempt: attempt, body: body)
    }
}

/// Recently accepted messages, oldest evicted first, bounded in bytes. A delivery whose
/// message has left the cache is loaded from the store instead; the cache only saves reads.
struct MessageCache {
    let capacityBytes: Int
    private var entries: [Int64: CachedMessage] = [:]
    private var order: [Int64] = []
    private var head = 0
    private var bytes = 0

    init(capacityBytes: Int) { self.capacityBytes = capacityBytes }

    subscript(seq: Int64) -> CachedMessage? { entries[seq] }

    mutating func insert(_ message: CachedMessage) {
        guard capacityBytes > 0, entries[message.seq] == nil else { return }
        entries[message.seq] = message
        order.append(message.seq)
        bytes += message.cost
        while bytes > capacityBytes, head < order.count {
            if let evicted = entries.removeValue(forKey: order[head]) { bytes -= evicted.cost }
            head += 1
        }
        if head > 4_096 && head * 2 > order.count {
            order.removeFirst(head)
            head = 0
        }
    }
}
