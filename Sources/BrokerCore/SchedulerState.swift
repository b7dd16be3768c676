import ReferralProtocol

/// Internal bookkeeping of the scheduler. Node names are interned to small integers so the
/// hot maps hash integers, not strings.
typealias NodeRef = Int32

struct DeliveryKey: Hashable, Sendable {
    var seq: Int64
    var node: NodeRef
}

struct LaneKey: Hashable, Sendable {
    var caseId: String
    var node: NodeRef
}

/// One open delivery (pending or in flight). `generation` changes on every transition so
/// that heap entries made for an earlier state are recognised as stale.
struct OpenDelivery: Sendable {
    let seq: Int64
    let node: NodeRef
    /// The message's sender and id, for its receipt (the sender is not interned: a node appears in the scheduler's
    /// status once something is addressed to it).
    let sender: String
    let messageId: String
    let caseId: String?
    let priority: Priority
    let octets: Int
    var attempts: Int
    var firstAttemptAt: Millis?
    var notBefore: Millis = 0
    /// The session it was sent to, while it waits for ACK.
    var inFlightSession: UInt64?
    var generation: UInt32 = 0
}

/// The ordered messages of one case to one recipient. Only the head may be in flight.
struct Lane: Sendable {
    /// Pending and in-flight seqs in accept order; `start` skips settled ones without shifting.
    private(set) var seqs: [Int64] = []
    private var start = 0
    /// Behind a dead letter: none of its waiting deliveries is kept (they are counted in `NodeState.heldInStore`).
    var held = false

    var head: Int64? { start < seqs.count ? seqs[start] : nil }
    /// The open seqs, in accept order.
    var open: ArraySlice<Int64> { seqs[start...] }
    var isEmpty: Bool { start >= seqs.count }
    var count: Int { seqs.count - start }

    mutating func append(_ seq: Int64) {
        // Seqs arrive in accept order; a restore also loads in seq order.
        if let last = seqs.last, seq < last, !isEmpty {
            let index = seqs[start...].firstIndex(where: { $0 > seq }) ?? seqs.count
            seqs.insert(seq, at: index)
        } else {
            seqs.append(seq)
        }
    }

    /// Removes a settled seq (normally the head).
    mutating func remove(_ seq: Int64) {
        if head == seq {
            start += 1
            if start > 32 && start * 2 > seqs.count {
                seqs.removeFirst(start)
                start = 0
            }
        } else if let index = seqs[start...].firstIndex(of: seq) {
            seqs.remove(at: index)
        }
    }
}

struct ReadyEntry: Comparable, Sendable {
    var priority: Priority
    var seq: Int64
    var generation: UInt32

    /// Higher priority first, then accept order.
    static func < (lhs: Self, rhs: Self) -> Bool {
        lhs.priority != rhs.priority ? lhs.priority > rhs.priority : lhs.seq < rhs.seq
    }
}

struct TimerEntry: Comparable, Sendable {
    var due: Millis
    var seq: Int64
    var node: NodeRef
    var generation: UInt32

    static func < (lhs: Self, rhs: Self) -> Bool {
        lhs.due != rhs.due ? lhs.due < rhs.due : lhs.seq < rhs.seq
    }
}

struct Session: Sendable {
    let id: UInt64
    var window: Int
    private(set) var inFlight: Set<Int64> = []
    /// The known octets of the deliveries in `inFlight`.
    private(set) var inFlightOctets = 0
    var receiptsOut: Set<Int64> = []
    var lastHeard: Millis
    var lastPing: Millis

    init(id: UInt64, window: Int, lastHeard: Millis, lastPing: Millis) {
        self.id = id
        self.window = window
        self.lastHeard = lastHeard
        self.lastPing = lastPing
    }

    mutating func sent(_ seq: Int64, octets: Int) {
        if inFlight.insert(seq).inserted { inFlightOctets += octets }
    }

    mutating func answered(_ seq: Int64, octets: Int) {
        if inFlight.remove(seq) != nil { inFlightOctets -= octets }
    }
}

struct PendingReceipt: Sendable {
    var info: ReceiptInfo
    var sentInSession: UInt64?
    var generation: UInt32 = 0
}

/// A bounded memory of settled ids, so a late duplicate ACK is recognised.
struct RecentSet: Sendable {
    private var members: Set<Int64> = []
    private var order: [Int64] = []
    private var next = 0
    let capacity: Int

    init(capacity: Int) { self.capacity = max(capacity, 1) }

    func contains(_ value: Int64) -> Bool { members.contains(value) }

    mutating func insert(_ value: Int64) {
        guard !members.contains(value) else { return }
        if order.count < capacity {
            order.append(value)
        } else {
            members.remove(order[next])
            order[next] = value
            next = (next + 1) % capacity
        }
        members.insert(value)
    }
}

/// A node's open deliveries (or unconfirmed receipts) in memory are a prefix of the store's, by seq (or receipt id):
/// every open one up to `loadedThrough` is in memory, and `beyond` more wait only in the store after it.
struct StoreWindow: Sendable {
    var loadedThrough: Int64 = 0
    /// Open rows in the store after `loadedThrough`, not in memory (counted so that STATUS and WELCOME stay exact).
    var beyond = 0
    /// A page read is on its way: no second one is asked for until it is answered.
    var requested = false
    /// Pages asked for before the window was read again from the start (a backlog move): dropped when they come.
    var discardPages = 0

    /// Whether a new row (committed just now) is kept in memory: only while nothing waits before it in the store and
    /// memory has room; otherwise it is only counted and read later, in order. A row at or before the horizon is
    /// always kept (a page read after the horizon would never find it).
    mutating func admits(_ key: Int64, inMemory: Int, capacity: Int) -> Bool {
        if key <= loadedThrough { return true }
        guard beyond == 0, inMemory < capacity else {
            beyond += 1
            return false
        }
        loadedThrough = key
        return true
    }

    /// Whether the store may hold this key beyond memory.
    func mayHold(_ key: Int64) -> Bool { beyond > 0 && key > loadedThrough }

    /// The next page to read, if memory has fallen to half its capacity and the store holds more.
    mutating func nextPage(inMemory: Int, capacity: Int) -> (after: Int64, limit: Int)? {
        guard beyond > 0, !requested, inMemory <= capacity / 2 else { return nil }
        requested = true
        return (loadedThrough, max(capacity - inMemory, 1))
    }

    /// A page came back: its keys (ascending, all after the horizon asked for) are now in memory. A short page means
    /// the store holds nothing more after it.
    mutating func loaded(keys: [Int64], added: Int, limit: Int) {
        requested = false
        if let last = keys.last { loadedThrough = max(loadedThrough, last) }
        beyond = keys.count < limit ? 0 : max(beyond - added, 0)
    }
}

struct NodeState: Sendable {
    let name: String
    var ready = MinHeap<ReadyEntry>()
    var open = 0
    /// Open deliveries that wait in held lanes, left in the store and only counted: memory holds none of them, so they
    /// neither fill it nor keep the rest of the backlog out.
    var heldInStore = 0
    var deliveryWindow = StoreWindow()
    var receiptWindow = StoreWindow()
    var deadLetters = 0
    var session: Session?
    var receipts: [Int64: PendingReceipt] = [:]
    var unsentReceipts = MinHeap<ReceiptOrder>()
    var settled: RecentSet
    var confirmedReceipts: RecentSet

    init(name: String, memory: Int) {
        self.name = name
        self.settled = RecentSet(capacity: memory)
        self.confirmedReceipts = RecentSet(capacity: memory)
    }
}

struct ReceiptOrder: Comparable, Sendable {
    var id: Int64
    var generation: UInt32
    static func < (lhs: Self, rhs: Self) -> Bool { lhs.id < rhs.id }
}

/// A released lane being read back from the store (docs/DESIGN.md, held lanes): its rows up to the node's horizon wait
/// in the store, counted in `heldInStore`, and are read a page at a time in seq order, each page once the lane's part
/// in memory has drained, so that they go out in order and a long held case does not fill memory. Deliveries of the
/// lane accepted or paged in meanwhile wait in the store too (counted), behind them.
struct LaneDrain: Sendable {
    /// The last seq read back (or the dead letter's).
    var after: Int64
    /// A page is on its way, read through this seq.
    var requested: Int64?
}
