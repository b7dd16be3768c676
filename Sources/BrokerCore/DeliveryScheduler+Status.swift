extension DeliveryScheduler {
    /// Per-node counts for `referralctl status`, for every node the scheduler has seen.
    public func nodeStatuses() -> [NodeStatus] {
        nodes.map { state in
            let inFlight = state.session?.inFlight.count ?? 0
            return NodeStatus(
                node: state.name, connected: state.session != nil,
                pending: state.open - inFlight + state.deliveryWindow.beyond + state.heldInStore, inFlight: inFlight,
                deadLetters: state.deadLetters, receiptsPending: state.receipts.count + state.receiptWindow.beyond)
        }
    }

    /// One node's counts, as `nodeStatuses` gives them (nil: the scheduler has never seen the node).
    public func nodeStatus(_ name: String) -> NodeStatus? {
        guard let node = lookup(name) else { return nil }
        let state = nodes[Int(node)]
        let inFlight = state.session?.inFlight.count ?? 0
        return NodeStatus(
            node: state.name, connected: state.session != nil,
            pending: state.open - inFlight + state.deliveryWindow.beyond + state.heldInStore, inFlight: inFlight,
            deadLetters: state.deadLetters, receiptsPending: state.receipts.count + state.receiptWindow.beyond)
    }

    /// Deliveries to the node known to wait in held lanes (counted as they are read; included in `pending`).
    public func heldInStore(_ name: String) -> Int {
        lookup(name).map { nodes[Int($0)].heldInStore } ?? 0
    }

    /// Lanes held behind a dead letter, oldest first.
    public func heldLanes() -> [HeldLane] {
        heldSince.values.sorted { ($0.since, $0.caseId, $0.recipient) < ($1.since, $1.caseId, $1.recipient) }
    }

    /// Open deliveries (pending + in flight) across all nodes, in memory or waiting in the store.
    public var openDeliveryCount: Int {
        deliveries.count + nodes.reduce(0) { $0 + $1.deliveryWindow.beyond + $1.heldInStore }
    }

    /// Open deliveries held in memory (at most `deliveryMemory` per node).
    public var deliveriesInMemory: Int { deliveries.count }

    /// Whether a delivery is open for this node (for tests and the admin trail).
    public func isOpen(node name: String, seq: Int64) -> Bool {
        guard let node = lookup(name) else { return false }
        return deliveries[DeliveryKey(seq: seq, node: node)] != nil
    }
}
