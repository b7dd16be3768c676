/// The bounded memory (docs/DESIGN.md, "Open deliveries and receipts: a window on the store"): per node, the open
/// deliveries in memory are a seq prefix of the store's, and the unconfirmed receipts an id prefix. What lies beyond
/// is only counted; a node with a session gets the next page once its memory has fallen to half.
extension DeliveryScheduler {
    /// Open deliveries and unconfirmed receipts the store holds per node, counted at start (nothing is loaded then).
    public struct StoreBacklog: Sendable, Hashable {
        public var deliveries: [String: Int]
        public var receipts: [String: Int]

        public init(deliveries: [String: Int] = [:], receipts: [String: Int] = [:]) {
            self.deliveries = deliveries
            self.receipts = receipts
        }
    }

    /// A page of `node`'s open deliveries read from the store (ascending seq, at most `limit`), as asked by
    /// `Effect.loadDeliveries`. Attempts come from the store. One of a held lane stays in the store, counted; it gets
    /// its `held` trail event now if it may have none (it waited beyond memory when the lane was held, or the broker
    /// restarted since: at least once, docs/DESIGN.md).
    public mutating func deliveriesLoaded(
        node name: String, limit: Int, _ page: [DeliveryInfo], now: Millis
    ) {
        let node = ref(name)
        if nodes[Int(node)].deliveryWindow.discardPages > 0 {
            // Read before a backlog move: the window starts again from seq 0.
            nodes[Int(node)].deliveryWindow.discardPages -= 1
            dirty.insert(node)
            return
        }
        var added = 0
        for info in page where info.recipient == name {
            // At or before the horizon: in memory already, or settled (its unit maybe not committed yet): never again.
            guard info.seq > nodes[Int(node)].deliveryWindow.loadedThrough,
                !nodes[Int(node)].settled.contains(info.seq)
            else { continue }
            if let lane = drainingLane(of: info, node: node) {
                leaveInStore(lane)
                added += 1
            } else if let lane = heldLane(of: info, node: node) {
                if heldUnrecorded[lane]?.contains(info.seq) == true { recordHeld(lane, seq: info.seq, now: now) }
                leaveInStore(lane)
                added += 1
            } else if add(info, now: now) {
                added += 1
            }
        }
        nodes[Int(node)].deliveryWindow.loaded(keys: page.map(\.seq), added: added, limit: limit)
        dirty.insert(node)
    }

    /// A page of `node`'s unconfirmed receipts (ascending id, at most `limit`), as asked by `Effect.loadReceipts`.
    public mutating func receiptsLoaded(node name: String, limit: Int, _ page: [ReceiptInfo]) {
        let node = ref(name)
        var added = 0
        for receipt in page where receipt.sender == name && receipt.id > nodes[Int(node)].receiptWindow.loadedThrough {
            if keepReceipt(receipt, node: node) { added += 1 }
        }
        nodes[Int(node)].receiptWindow.loaded(keys: page.map(\.id), added: added, limit: limit)
        dirty.insert(node)
    }

    /// A page read failed: it is asked for again at the next heartbeat check.
    public mutating func pageFailed(node name: String, receipts: Bool) {
        guard let node = lookup(name) else { return }
        if receipts {
            nodes[Int(node)].receiptWindow.requested = false
        } else if nodes[Int(node)].deliveryWindow.discardPages > 0 {
            nodes[Int(node)].deliveryWindow.discardPages -= 1
        } else {
            nodes[Int(node)].deliveryWindow.requested = false
        }
    }

    /// Asks for the next pages of a node with a session whose memory has fallen to half.
    mutating func requestPages(_ node: NodeRef) {
        let name = nodes[Int(node)].name
        let inMemory = nodes[Int(node)].open
        if let page = nodes[Int(node)].deliveryWindow.nextPage(inMemory: inMemory, capacity: config.deliveryMemory) {
            effects.append(.loadDeliveries(node: name, afterSeq: page.after, limit: page.limit))
        }
        retryLanePages(node)
        let receipts = nodes[Int(node)].receipts.count
        if let page = nodes[Int(node)].receiptWindow.nextPage(inMemory: receipts, capacity: config.receiptMemory) {
            effects.append(.loadReceipts(node: name, afterId: page.after, limit: page.limit))
        }
    }

    /// Puts a durable receipt in memory for its sender; false if it was there already.
    mutating func keepReceipt(_ receipt: ReceiptInfo, node: NodeRef) -> Bool {
        guard nodes[Int(node)].receipts[receipt.id] == nil,
            !nodes[Int(node)].confirmedReceipts.contains(receipt.id)
        else { return false }
        nodes[Int(node)].receipts[receipt.id] = PendingReceipt(info: receipt)
        nodes[Int(node)].unsentReceipts.push(ReceiptOrder(id: receipt.id, generation: 0))
        dirty.insert(node)
        return true
    }
}
