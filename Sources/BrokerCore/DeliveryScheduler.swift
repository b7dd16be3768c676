/// The broker's delivery logic as a pure state machine.
///
/// The shell (the broker machine) feeds it events — sessions opening and closing, messages
/// committed by the store, ACK/NACK, receipts stored — always with the current time, and then
/// carries out the `Effect`s it returns from `takeEffects()`: sending DELIVER, RECEIPT and
/// PING, forgetting a routing id, and persisting settled deliveries with the receipts it decided
/// and numbered. It performs no I/O and never reads a clock, so every rule is tested without
/// sockets or sleeping.
///
/// Rules (see docs/DESIGN.md and protocols/1-RBP.md): per-recipient windows; crisis before
/// urgent before routine; within a (case, recipient) lane one delivery in flight and accept
/// order kept; redelivery with exponential backoff; dead letter after a permanent NACK or too
/// many attempts, holding the rest of its lane; receipts for senders until confirmed.
public struct DeliveryScheduler: Sendable {
    public let config: SchedulerConfig

    var nodeIndex: [String: NodeRef] = [:]
    var nodes: [NodeState] = []
    var deliveries: [DeliveryKey: OpenDelivery] = [:]
    var lanes: [LaneKey: Lane] = [:]
    var delayed = MinHeap<TimerEntry>()
    var ackDeadlines = MinHeap<TimerEntry>()
    var receiptDeadlines = MinHeap<TimerEntry>()
    var heldSince: [LaneKey: HeldLane] = [:]
    /// Seqs of a held lane whose `held` trail event may not be recorded: those that waited in the store beyond memory
    /// when the lane was held, and after a restart every one the store holds (the event may have been lost with the
    /// process). A page that brings one in records it; a delivery accepted into the lane later is recorded at once.
    var heldUnrecorded: [LaneKey: ClosedRange<Int64>] = [:]
    /// Lanes an operator released that are being read back from the store a page at a time (`LaneDrain`).
    var drains: [LaneKey: LaneDrain] = [:]
    var dirty: Set<NodeRef> = []
    var effects: [Effect] = []
    var nextSessionId: UInt64 = 1
    /// The highest receipt number given so far (or reserved by the store): the next receipt gets the one after.
    public internal(set) var lastReceiptId: Int64 = 0
    var nextHeartbeatCheck: Millis = 0

    public init(config: SchedulerConfig = SchedulerConfig()) {
        self.config = config
    }

    // MARK: - Start-up

    /// Takes up what the store holds after a restart, without reading it: held lanes, dead-letter counts, and how
    /// many open deliveries and unconfirmed receipts wait per node (read a page at a time once the node has a session,
    /// so start-up does not grow with the backlog). `lastReceiptId`: the highest receipt number the store ever gave
    /// or reserved; new receipts are numbered after it (1/RBP §12.4: never twice).
    public mutating func restore(
        held: [HeldLane], deadLetters: [String: Int], backlog: StoreBacklog, lastReceiptId: Int64
    ) {
        self.lastReceiptId = max(self.lastReceiptId, lastReceiptId)
        for lane in held {
            let key = LaneKey(caseId: lane.caseId, node: ref(lane.recipient))
            lanes[key, default: Lane()].held = true
            heldSince[key] = lane
            heldUnrecorded[key] = 1...Int64.max
        }
        for (node, count) in deadLetters { nodes[Int(ref(node))].deadLetters = count }
        for (node, count) in backlog.deliveries { nodes[Int(ref(node))].deliveryWindow.beyond += count }
        for (node, count) in backlog.receipts { nodes[Int(ref(node))].receiptWindow.beyond += count }
    }

    // MARK: - Accepted messages

    /// Adds the deliveries of messages the store has just committed: in memory while their recipient's has room and
    /// nothing waits before them in the store, otherwise only counted (read later, in seq order). One accepted into a
    /// held lane gets its `held` trail event now and is left in the store, counted.
    public mutating func enqueue(_ newDeliveries: [DeliveryInfo], now: Millis) {
        for info in newDeliveries {
            let node = ref(info.recipient)
            let open = nodes[Int(node)].open
            let admitted = nodes[Int(node)].deliveryWindow.admits(
                info.seq, inMemory: open, capacity: config.deliveryMemory)
            if let lane = drainingLane(of: info, node: node) {
                // Released, still being read back: it follows the lane's earlier rows from the store.
                if admitted { leaveInStore(lane) }
            } else if let lane = heldLane(of: info, node: node) {
                recordHeld(lane, seq: info.seq, now: now)
                // Later seqs of the lane are all accepted from now on, and recorded here: a page need not.
                if let range = heldUnrecorded[lane] {
                    heldUnrecorded[lane] = range.lowerBound < info.seq ? range.lowerBound...(info.seq - 1) : nil
                }
                if admitted { leaveInStore(lane) }
            } else if admitted {
                add(info, now: now)
            }
        }
    }

    /// The held lane a delivery belongs to, if its lane is held.
    func heldLane(of info: DeliveryInfo, node: NodeRef) -> LaneKey? {
        guard let caseId = info.caseId else { return nil }
        let lane = LaneKey(caseId: caseId, node: node)
        return lanes[lane]?.held == true ? lane : nil
    }

    /// Counts one more delivery of a held lane as waiting in the store (it is not kept in memory).
    mutating func leaveInStore(_ lane: LaneKey) {
        nodes[Int(lane.node)].heldInStore += 1
    }

    /// Puts one open delivery of a lane that is not held in memory (nothing if it is there already).
    @discardableResult
    mutating func add(_ info: DeliveryInfo, now: Millis) -> Bool {
        let node = ref(info.recipient)
        let key = DeliveryKey(seq: info.seq, node: node)
        guard deliveries[key] == nil else { return false }
        deliveries[key] = OpenDelivery(
            seq: info.seq, node: node, sender: info.sender, messageId: info.messageId, caseId: info.caseId,
            priority: info.priority, octets: info.octets, attempts: info.attempts)
        nodes[Int(node)].open += 1
        if let caseId = info.caseId { lanes[LaneKey(caseId: caseId, node: node), default: Lane()].append(info.seq) }
        makeEligible(key, now: now)
        return true
    }

    // MARK: - Output

    /// The effects decided since the last call, in the order they must be carried out.
    public mutating func takeEffects() -> [Effect] {
        var taken: [Effect] = []
        takeEffects(into: &taken)
        return taken
    }

    /// The same, into `buffer`, which the caller keeps between calls (emptied here, capacity kept): the two arrays
    /// are swapped, so a call costs no new array (it runs once per turn of the broker's loop).
    public mutating func takeEffects(into buffer: inout [Effect]) {
        buffer.removeAll(keepingCapacity: true)
        swap(&buffer, &effects)
    }

    /// When `tick` should next be called (nil: nothing is scheduled).
    public func nextWakeup() -> Millis? {
        // Asked once per turn of the broker's loop: no array of candidates.
        var due = delayed.min?.due
        if let entry = ackDeadlines.min { due = min(due ?? entry.due, entry.due) }
        if let entry = receiptDeadlines.min { due = min(due ?? entry.due, entry.due) }
        if nodes.contains(where: { $0.session != nil }) { due = min(due ?? nextHeartbeatCheck, nextHeartbeatCheck) }
        return due
    }

    // MARK: - Interning

    /// The node's index, created on first use (a recipient may be offline or even unknown
    /// to the current directory and still have deliveries waiting).
    mutating func ref(_ name: String) -> NodeRef {
        if let existing = nodeIndex[name] { return existing }
        let new = NodeRef(nodes.count)
        nodes.append(NodeState(name: name, memory: config.completedMemory))
        nodeIndex[name] = new
        return new
    }

    func lookup(_ name: String) -> NodeRef? { nodeIndex[name] }
}
