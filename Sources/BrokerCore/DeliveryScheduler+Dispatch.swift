import StoreModel

extension DeliveryScheduler {
    /// Sends whatever the windows allow to every node whose situation changed since the last
    /// pump (new messages, freed window, a backoff that ran out, a new session).
    public mutating func pump(now: Millis) {
        guard !dirty.isEmpty else { return }
        let work = dirty.sorted()
        dirty.removeAll(keepingCapacity: true)
        for node in work where nodes[Int(node)].session != nil {
            dispatchDeliveries(node, now: now)
            dispatchReceipts(node, now: now)
            requestPages(node)
        }
    }

    /// The shell could not hand a DELIVER to the ROUTER (peer at its high-water mark, or
    /// gone). The delivery was never sent: it goes back to pending without costing an attempt.
    public mutating func deliveryNotSent(node name: String, seq: Int64, now: Millis) {
        guard let node = lookup(name) else { return }
        let key = DeliveryKey(seq: seq, node: node)
        guard var delivery = deliveries[key], let session = delivery.inFlightSession else { return }
        delivery.inFlightSession = nil
        delivery.attempts = max(delivery.attempts - 1, 0)
        delivery.generation &+= 1
        delivery.notBefore = now + config.sendRetryMs
        deliveries[key] = delivery
        if nodes[Int(node)].session?.id == session {
            nodes[Int(node)].session?.answered(seq, octets: delivery.octets)
        }
        makeEligible(key, now: now)
    }

    /// Puts a pending delivery where it will be picked up: the delayed heap while it backs
    /// off, else the node's ready heap if it heads its lane (or has no case).
    mutating func makeEligible(_ key: DeliveryKey, now: Millis) {
        guard var delivery = deliveries[key], delivery.inFlightSession == nil else { return }
        delivery.generation &+= 1
        deliveries[key] = delivery
        if delivery.notBefore > now {
            delayed.push(TimerEntry(due: delivery.notBefore, seq: key.seq, node: key.node, generation: delivery.generation))
            return
        }
        if let caseId = delivery.caseId {
            guard let lane = lanes[LaneKey(caseId: caseId, node: key.node)], !lane.held, lane.head == key.seq else {
                return
            }
        }
        nodes[Int(key.node)].ready.push(
            ReadyEntry(priority: delivery.priority, seq: key.seq, generation: delivery.generation))
        dirty.insert(key.node)
    }

    private mutating func dispatchDeliveries(_ node: NodeRef, now: Millis) {
        guard var session = nodes[Int(node)].session else { return }
        while session.inFlight.count < session.window, let entry = nodes[Int(node)].ready.pop() {
            let key = DeliveryKey(seq: entry.seq, node: node)
            guard var delivery = deliveries[key], delivery.generation == entry.generation,
                delivery.inFlightSession == nil, delivery.notBefore <= now
            else { continue }
            if let caseId = delivery.caseId {
                guard let lane = lanes[LaneKey(caseId: caseId, node: node)], !lane.held, lane.head == entry.seq else {
                    continue
                }
            }
            delivery.attempts += 1
            if delivery.firstAttemptAt == nil { delivery.firstAttemptAt = now }
            delivery.inFlightSession = session.id
            delivery.generation &+= 1
            deliveries[key] = delivery
            session.sent(entry.seq, octets: delivery.octets)
            ackDeadlines.push(
                TimerEntry(
                    due: now + config.ackTimeoutMs + transferMs(octets: session.inFlightOctets),
                    seq: entry.seq, node: node, generation: delivery.generation))
            effects.append(.deliver(node: nodes[Int(node)].name, seq: entry.seq, attempt: delivery.attempts))
            if delivery.attempts > 1 {
                persistEvent(key, event: .deliveryAttempt, attempt: delivery.attempts, detail: nil, now: now)
            }
        }
        nodes[Int(node)].session = session
    }

    /// How long `octets` in flight to a session take on the slowest supported link (1/RBP §11.2): a DELIVER
    /// queued behind large ones cannot be acknowledged before they have crossed.
    private func transferMs(octets: Int) -> Millis {
        let rate = max(config.linkOctetsPerSecond, 1)
        return (Millis(octets) * 1000 + rate - 1) / rate
    }

    private mutating func dispatchReceipts(_ node: NodeRef, now: Millis) {
        guard var session = nodes[Int(node)].session else { return }
        while session.receiptsOut.count < config.receiptWindow, let entry = nodes[Int(node)].unsentReceipts.pop() {
            guard var receipt = nodes[Int(node)].receipts[entry.id], receipt.generation == entry.generation,
                receipt.sentInSession == nil
            else { continue }
            receipt.sentInSession = session.id
            receipt.generation &+= 1
            nodes[Int(node)].receipts[entry.id] = receipt
            session.receiptsOut.insert(entry.id)
            receiptDeadlines.push(
                TimerEntry(due: now + config.receiptResendMs, seq: entry.id, node: node, generation: receipt.generation))
            effects.append(.sendReceipt(node: nodes[Int(node)].name, receipt: receipt.info))
        }
        nodes[Int(node)].session = session
    }

    func persistEventOp(_ key: DeliveryKey, event: TrailEventName, attempt: Int?, detail: String?, now: Millis) -> Effect {
        .persist(
            .event(at: now, seq: key.seq, recipient: nodes[Int(key.node)].name, event: event, attempt: attempt, detail: detail))
    }

    mutating func persistEvent(_ key: DeliveryKey, event: TrailEventName, attempt: Int?, detail: String?, now: Millis) {
        effects.append(persistEventOp(key, event: event, attempt: attempt, detail: detail, now: now))
    }
}
