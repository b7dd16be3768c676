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
