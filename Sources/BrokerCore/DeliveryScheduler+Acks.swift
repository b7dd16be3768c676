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

    /// Moves a delivery to the dead-letter list; a case's lane is held behind it.
    mutating func deadLetter(_ key: DeliveryKey, reason: String, now: Millis) {
        guard let delivery = deliveries[key] else { return }
        let hold = delivery.caseId != nil
        if let caseId = delivery.caseId {
            let laneKey = LaneKey(caseId: caseId, node: key.node)
            lanes[laneKey, default: Lane()].held = true
            heldSince[laneKey] = HeldLane(
                caseId: caseId, recipient: nodes[Int(key.node)].name, seq: key.seq, since: now)
            let horizon = nodes[Int(key.node)].deliveryWindow.loadedThrough
            if nodes[Int(key.node)].deliveryWindow.beyond > 0, horizon < highestSeq {
                heldUnrecorded[laneKey] = (horizon + 1)...highestSeq
            }
        }
        settle(key, now: now)
        nodes[Int(key.node)].deadLetters += 1
        effects.append(
            .persist(
                .settled(
                    SettledDelivery(
                        receipt: receipt(for: delivery, outcome: .deadLettered, reason: reason, now: now),
                        attempts: delivery.attempts, firstAttemptAt: delivery.firstAttemptAt, caseId: delivery.caseId,
                        holdCase: hold))))
        if let caseId = delivery.caseId, let lane = lanes[LaneKey(caseId: caseId, node: key.node)] {
            nodes[Int(key.node)].heldWaiting += lane.count
            for seq in lane.open { recordHeld(DeliveryKey(seq: seq, node: key.node), behind: key.seq, now: now) }
        }
    }

    /// The trail event of a delivery that waits behind the dead letter of `behind` (ADMIN-1 `held`).
    mutating func recordHeld(_ key: DeliveryKey, behind: Int64, now: Millis) {
        persistEvent(key, event: .held, attempt: nil, detail: "behind the dead letter of seq \(behind)", now: now)
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
        // A delivery settled in a held lane (not the dead letter that holds it) was waiting there.
        if lane.held && heldSince[laneKey]?.seq != key.seq { nodes[Int(key.node)].heldWaiting -= 1 }
        lane.remove(key.seq)
        if lane.isEmpty && !lane.held {
            lanes[laneKey] = nil
            return
        }
        lanes[laneKey] = lane
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
