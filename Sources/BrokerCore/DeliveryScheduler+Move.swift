/// NODE-MOVE-BACKLOG (docs/DESIGN.md, "Moving a node's backlog"): the store gave a suspended node's waiting
/// deliveries to a replacement in one transaction; the scheduler's memory follows by reading both nodes' windows
/// again from the store, so per-case order, priority and the memory bound come from the ordinary paging rules.
extension DeliveryScheduler {
    /// The move committed: `fromOpen` and `toOpen` are the open deliveries the store holds for each node after it.
    public mutating func backlogMoved(from: String, to: String, fromOpen: Int, toOpen: Int) {
        forgetWindow(ref(from), storeOpen: fromOpen)
        forgetWindow(ref(to), storeOpen: toOpen)
    }

    /// Forgets the node's pending deliveries in memory (those in flight stay: their session may still ACK them) and
    /// counts every other open delivery of the store as waiting beyond memory, from seq 0: the next pages read them
    /// back in seq order (held lanes are counted again as their deliveries are read). A page already asked for was
    /// read before the move and is dropped when it comes back.
    mutating func forgetWindow(_ node: NodeRef, storeOpen: Int) {
        let inFlight = nodes[Int(node)].session?.inFlight ?? []
        let forgotten = deliveries.keys.filter { $0.node == node && !inFlight.contains($0.seq) }
        for key in forgotten { evict(key) }
        nodes[Int(node)].ready = MinHeap()
        nodes[Int(node)].heldInStore = 0
        var window = nodes[Int(node)].deliveryWindow
        if window.requested { window.discardPages += 1 }
        window.requested = false
        window.loadedThrough = 0
        window.beyond = max(storeOpen - inFlight.count, 0)
        nodes[Int(node)].deliveryWindow = window
        dirty.insert(node)
    }

    /// Removes one open delivery from memory (it stays open in the store); heap entries for it become stale.
    mutating func evict(_ key: DeliveryKey) {
        guard let delivery = deliveries.removeValue(forKey: key) else { return }
        nodes[Int(key.node)].open -= 1
        if let caseId = delivery.caseId {
            let lane = LaneKey(caseId: caseId, node: key.node)
            lanes[lane]?.remove(key.seq)
            if let kept = lanes[lane], kept.isEmpty, !kept.held { lanes[lane] = nil }
        }
    }
}
