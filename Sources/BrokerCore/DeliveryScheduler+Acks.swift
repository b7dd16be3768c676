import ReferralProtocol

extension DeliveryScheduler {
    /// The node has committed the message to its inbox. Accepted for an in-flight delivery
    /// and also for one that went back to pending after a lost session (the node stored it).
    public mutating func ack(node name: String, seq: Int64, now: Millis) -> AckResult {
        guard let node = lookup(name) else { return .unknown }
        let key = DeliveryKey(seq: seq, node: node)
        guard let delivery = deliveries[key] else { return notOpen(node, seq: seq) }
        settle(key, now: now)
        effects.append(
            .persist(
                .settled(
                    SettledDelivery(
                        receipt: receipt(for: delivery, outcome: .delivered, reason: nil, now: now),
                        attempts: max(delivery.attempts, 1), firstAttemptAt: delivery.firstAttemptAt ?? now,
                        caseId: delivery.caseId, holdCase: false))))
        return .applied
    }

    /// The node refused the message: retry later with backoff, or (permanent) dead-letter it.
    public mutating func nack(node name: String, seq: Int64, retry: Bool, reason: String, now: Millis) -> AckResult {
        guard let node = lookup(name) else { return .unknown }
        let key = DeliveryKey(seq: seq, node: node)
        guard let delivery = deliveries[key] else { return notOpen(node, seq: seq) }
        persistEvent(
            key, event: .nacked, attempt: delivery.attempts, detail: "\(retry ? "retry" : "permanent"): \(reason)",
            now: now)
        takeOutOfFlight(key)
        if !retry {
            // §12.5: the dead letter's reason (receipt, trail, held case) is the NACK's reason, unchanged.
            deadLetter(key, reason: reason, now: now)
        } else {
            retryLater(key, reason: "last refusal: \(reason)", now: now)
        }
        return .applied
    }

    /// Why an ACK or NACK names no open delivery in memory: settled before, not read from the store yet (after a
    /// restart: it is delivered again once loaded, and the node's inbox drops the duplicate), or unknown.
    private func notOpen(_ node: NodeRef, seq: Int64) -> AckResult {
        if nodes[Int(node)].settled.contains(seq) { return .alreadySettled }
        return nodes[Int(node)].deliveryWindow.mayHold(seq) ? .notLoaded : .unknown
    }

    /// A failed attempt: back off, or dead-letter once the attempts are used up.
    mutating func retryLater(_ key: DeliveryKey, reason: String, now: Millis) {
        guard var delivery = deliveries[key] else { return }
        if delivery.attempts >= config.maxAttempts {
            deadLetter(key, reason: "gave up after \(delivery.attempts) attempts (\(reason))", now: now)
            return
        }
        delivery.notBefore = now + config.backoff(afterAttempt: delivery.attempts)
        deliveries[key] = delivery
        persistEvent(key, event: .redeliveryScheduled, attempt: delivery.attempts + 1, detail: nil, now: now)
        makeEligible(key, now: now)
    }

    /// Moves a delivery to the dead-letter list; a case's lane is held behind it, and the deliveries waiting there
    /// leave memory for the store (counted) until the case is released.
    mutating func deadLetter(_ key: DeliveryKey, reason: String, now: Millis) {
        guard let delivery = deliveries[key] else { return }
        let lane = delivery.caseId.map { LaneKey(caseId: $0, node: key.node) }
        if let lane { hold(lane, behind: key.seq, now: now) }
        settle(key, now: now)
        nodes[Int(key.node)].deadLetters += 1
        effects.append(
            .persist(
                .settled(
                    SettledDelivery(
                        receipt: receipt(for: delivery, outcome: .deadLettered, reason: reason, now: now),
                        attempts: delivery.attempts, firstAttemptAt: delivery.firstAttemptAt, caseId: delivery.caseId,
                        holdCase: lane != nil))))
        if let lane { leaveMemory(lane, now: now) }
    }

    /// Holds a lane behind the dead letter of `seq`. Its deliveries beyond memory (read later) have no `held` event
    /// yet: the page that brings one in records it.
    private mutating func hold(_ lane: LaneKey, behind seq: Int64, now: Millis) {
        lanes[lane, default: Lane()].held = true
        // A lane held again while it was read back: what the store still holds of it is counted in `heldInStore`.
        drains[lane] = nil
        heldSince[lane] = HeldLane(caseId: lane.caseId, recipient: nodes[Int(lane.node)].name, seq: seq, since: now)
        let window = nodes[Int(lane.node)].deliveryWindow
        if window.beyond > 0 { heldUnrecorded[lane] = (window.loadedThrough + 1)...Int64.max }
    }

    /// The deliveries of a lane just held that wait in memory get their `held` event and leave memory: they stay
    /// open in the store, counted, so a held case never fills the recipient's memory.
    private mutating func leaveMemory(_ lane: LaneKey, now: Millis) {
        guard let waiting = lanes[lane]?.open else { return }
        for seq in waiting {
            recordHeld(lane, seq: seq, now: now)
            let key = DeliveryKey(seq: seq, node: lane.node)
            takeOutOfFlight(key)
            deliveries[key] = nil
            nodes[Int(lane.node)].open -= 1
            lanes[lane]?.remove(seq)
            leaveInStore(lane)
        }
        deliveries.releaseStorageIfEmpty()
        dirty.insert(lane.node)
    }

    /// The trail event of a delivery that waits behind the dead letter holding its lane (ADMIN-1 `held`).
    mutating func recordHeld(_ lane: LaneKey, seq: Int64, now: Millis) {
        let behind = heldSince[lane]?.seq ?? 0
        persistEvent(
            DeliveryKey(seq: seq, node: lane.node), event: .held, attempt: nil,
            detail: "behind the dead letter of seq \(behind)", now: now)
    }

    /// The sender's receipt for a delivery settled now, numbered after the last one given. It is queued for the
    /// sender only once the store has written it (`receiptStored`).
    private mutating func receipt(
        for delivery: OpenDelivery, outcome: ReceiptOutcome, reason: String?, now: Millis
    ) -> ReceiptInfo {
        lastReceiptId += 1
        return ReceiptInfo(
            id: lastReceiptId, sender: delivery.sender, seq: delivery.seq,
            messageId: delivery.messageId, recipient: nodes[Int(delivery.node)].name, outcome: outcome, at: now,
            reason: reason)
    }

    /// Removes an open delivery for good (acked or dead) and lets its lane move on.
    mutating func settle(_ key: DeliveryKey, now: Millis) {
        guard let delivery = deliveries.removeValue(forKey: key) else { return }
        deliveries.releaseStorageIfEmpty()
        if let session = delivery.inFlightSession, nodes[Int(key.node)].session?.id == session {
            nodes[Int(key.node)].session?.answered(key.seq, octets: delivery.octets)
        }
        nodes[Int(key.node)].open -= 1
        nodes[Int(key.node)].settled.insert(key.seq)
        dirty.insert(key.node)
        guard let caseId = delivery.caseId else { return }
        let laneKey = LaneKey(caseId: caseId, node: key.node)
        guard var lane = lanes[laneKey] else { return }
        lane.remove(key.seq)
        if lane.isEmpty && !lane.held && drains[laneKey] == nil {
            lanes[laneKey] = nil
            return
        }
        lanes[laneKey] = lane
        if lane.isEmpty, drains[laneKey] != nil { requestLanePage(laneKey) }
        if let head = lane.head, !lane.held {
            // The next of the case: it may have been waiting since accept, without a heap entry.
            makeEligible(DeliveryKey(seq: head, node: key.node), now: now)
        }
    }

    mutating func takeOutOfFlight(_ key: DeliveryKey) {
        guard var delivery = deliveries[key], let session = delivery.inFlightSession else { return }
        delivery.inFlightSession = nil
        delivery.generation &+= 1
        deliveries[key] = delivery
        if nodes[Int(key.node)].session?.id == session {
            nodes[Int(key.node)].session?.answered(key.seq, octets: delivery.octets)
        }
        dirty.insert(key.node)
    }
}
