import ReferralProtocol
import StoreModel

extension Deliver {
    /// A message the store has just committed as `seq`, as it will be delivered.
    init(_ pending: PendingAccept, seq: Int64) {
        let message = pending.message
        self.init(
            seq: seq, id: message.messageId, from: message.sender, to: message.recipients, kind: message.kind,
            caseId: message.caseId, priority: pending.priority, acceptedAt: message.acceptedAt, attempt: 0,
            body: message.body)
    }

    /// A message read back from the store.
    init(_ stored: StoredMessage) {
        self.init(
            seq: stored.seq, id: stored.messageId, from: stored.sender, to: stored.recipients, kind: stored.kind,
            caseId: stored.caseId, priority: Priority(rank: stored.priority) ?? .routine,
            acceptedAt: stored.acceptedAt, attempt: 0, body: stored.body)
    }

    func attempt(_ attempt: Int) -> Deliver {
        var deliver = self
        deliver.attempt = attempt
        return deliver
    }
}

/// Recently accepted messages as the DELIVER that carries them (its attempt set when it is sent), oldest evicted
/// first, bounded in bytes. A delivery whose message has left the cache is loaded from the store instead; the cache
/// only saves reads.
struct MessageCache {
    let capacityBytes: Int
    private var entries: [Int64: Deliver] = [:]
    private var order: [Int64] = []
    private var head = 0
    private var bytes = 0

    init(capacityBytes: Int) { self.capacityBytes = capacityBytes }

    /// A message's share of the budget: its body and about what the rest of it takes.
    static func cost(of message: Deliver) -> Int { message.body.count + 256 }

    subscript(seq: Int64) -> Deliver? { entries[seq] }

    /// Forgets a message (its body was purged: a later delivery of it must not get the body from here).
    mutating func remove(_ seq: Int64) {
        guard let removed = entries.removeValue(forKey: seq) else { return }
        bytes -= Self.cost(of: removed)
    }

    mutating func insert(_ message: Deliver) {
        guard capacityBytes > 0, entries[message.seq] == nil else { return }
        entries[message.seq] = message
        order.append(message.seq)
        bytes += Self.cost(of: message)
        while bytes > capacityBytes, head < order.count {
            if let evicted = entries.removeValue(forKey: order[head]) { bytes -= Self.cost(of: evicted) }
            head += 1
        }
        if head > 4_096 && head * 2 > order.count {
            order.removeFirst(head)
            head = 0
        }
    }
}
