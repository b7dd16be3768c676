/// The operators' repairs (ADMIN-1 REDRIVE, DISCARD, RELEASE), applied once the store has committed them: a dead
/// letter closed or put back, and a held lane released and read back from the store in seq order (docs/DESIGN.md,
/// held lanes), so that the case's later deliveries flow after it, in order, without filling memory.
extension DeliveryScheduler {
    /// Rows of a released lane read per page: a few, since only a lane's head is ever sent.
    var lanePageSize: Int { max(config.deliveryMemory / 8, 1) }

    /// The released lane, still read back from the store, that a delivery belongs to.
    func drainingLane(of info: DeliveryInfo, node: NodeRef) -> LaneKey? {
        guard let caseId = info.caseId, !drains.isEmpty else { return nil }
        let lane = LaneKey(caseId: caseId, node: node)
        return drains[lane] != nil ? lane : nil
    }

    /// REDRIVE committed: the dead letter of `recipient` is a pending delivery again, `info` (to `info.recipient`: the
    /// same node, or the corrected one). When it held its lane (`releasedLane`), the lane is released behind it: the
    /// redriven delivery heads it and the waiting ones follow in order. Otherwise (a corrected recipient, or a lane a
    /// later dead letter holds now) it goes on its own, outside any lane: it is older than anything the lane holds.
    public mutating func redriven(_ info: DeliveryInfo, deadLetterOf recipient: String, releasedLane: Bool, now: Millis)
    {
        deadLetterClosed(recipient)
        if releasedLane, let caseId = info.caseId {
            release(caseId: caseId, recipient: recipient, after: info.seq, now: now)
        }
        var delivery = info
        if !(releasedLane && info.recipient == recipient) { delivery.caseId = nil }
        let node = ref(delivery.recipient)
        if nodes[Int(node)].deliveryWindow.admits(
            delivery.seq, inMemory: nodes[Int(node)].open, capacity: config.deliveryMemory)
        {
            add(delivery, now: now)
        }
        dirty.insert(node)
    }

    /// DISCARD committed: one dead letter fewer; the lane it held (if it did) is released.
    public mutating func discarded(seq: Int64, recipient: String, caseId: String?, releasedLane: Bool, now: Millis) {
        deadLetterClosed(recipient)
        if releasedLane, let caseId { release(caseId: caseId, recipient: recipient, after: seq, now: now) }
    }

    /// RELEASE committed: the lane held behind the dead letter of `seq` is released (the dead letter stays one).
    public mutating func released(caseId: String, recipient: String, seq: Int64, now: Millis) {
        release(caseId: caseId, recipient: recipient, after: seq, now: now)
    }

    private mutating func deadLetterClosed(_ recipient: String) {
        let node = ref(recipient)
        nodes[Int(node)].deadLetters = max(nodes[Int(node)].deadLetters - 1, 0)
        dirty.insert(node)
    }

    /// The lane is no longer held: its rows at or before the node's horizon (counted in `heldInStore`) are read back
    /// after `seq`, a page at a time; those beyond the horizon come with the node's ordinary pages.
    private mutating func release(caseId: String, recipient: String, after seq: Int64, now: Millis) {
        let node = ref(recipient)
        let key = LaneKey(caseId: caseId, node: node)
        heldSince[key] = nil
        heldUnrecorded[key] = nil
        lanes[key, default: Lane()].held = false
        drains[key] = LaneDrain(after: seq, requested: nil)
        requestLanePage(key)
        dirty.insert(node)
    }

    /// Asks for the lane's next page once its part in memory has drained (or, `evenIfBusy`, at once).
    mutating func requestLanePage(_ key: LaneKey, evenIfBusy: Bool = false) {
        guard let drain = drains[key], drain.requested == nil else { return }
        guard evenIfBusy || lanes[key]?.isEmpty ?? true else { return }
        let through = nodes[Int(key.node)].deliveryWindow.loadedThrough
        guard through > drain.after else { return finishDrain(key) }
        drains[key]?.requested = through
        effects.append(
            .loadLane(
                node: nodes[Int(key.node)].name, caseId: key.caseId, afterSeq: drain.after, throughSeq: through,
                limit: lanePageSize))
    }

    private mutating func finishDrain(_ key: LaneKey) {
        drains[key] = nil
        if let lane = lanes[key], lane.isEmpty, !lane.held { lanes[key] = nil }
    }

    /// A page of a released lane (ascending seq, at most `limit`) as asked by `Effect.loadLane`: each row leaves the
    /// store's count for memory, behind the lane's earlier ones. A short page means the lane has nothing more up to
    /// the horizon it was read through; if the horizon has moved on since, the rest is asked for at once.
    public mutating func laneLoaded(node name: String, caseId: String, limit: Int, _ page: [DeliveryInfo], now: Millis)
    {
        let node = ref(name)
        let key = LaneKey(caseId: caseId, node: node)
        // A lane held again meanwhile (or an answer to an earlier release) is ignored: its rows stay counted.
        guard var drain = drains[key], let through = drain.requested else { return }
        drain.requested = nil
        for info in page where info.recipient == name && info.seq > drain.after && info.seq <= through {
            drain.after = info.seq
            guard deliveries[DeliveryKey(seq: info.seq, node: node)] == nil,
                !nodes[Int(node)].settled.contains(info.seq)
            else { continue }
            nodes[Int(node)].heldInStore = max(nodes[Int(node)].heldInStore - 1, 0)
            add(info, now: now)
        }
        dirty.insert(node)
        if page.count < limit {
            drain.after = through
            drains[key] = drain
            if nodes[Int(node)].deliveryWindow.loadedThrough <= through { return finishDrain(key) }
            requestLanePage(key, evenIfBusy: true)
        } else {
            drains[key] = drain
            requestLanePage(key)
        }
    }

    /// A lane page read failed: asked for again at the node's next page check.
    public mutating func lanePageFailed(node name: String, caseId: String) {
        guard let node = lookup(name) else { return }
        drains[LaneKey(caseId: caseId, node: node)]?.requested = nil
    }

    /// Lane pages not on their way (a failed read) are asked for again.
    mutating func retryLanePages(_ node: NodeRef) {
        guard !drains.isEmpty else { return }
        for (key, drain) in drains where key.node == node && drain.requested == nil {
            requestLanePage(key)
        }
    }

    /// Released lanes still being read back, for tests.
    public var drainingLaneCount: Int { drains.count }
}
