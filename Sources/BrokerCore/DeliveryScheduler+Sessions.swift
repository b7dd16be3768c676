extension DeliveryScheduler {
    /// What a new session learns in WELCOME.
    public struct SessionOpened: Sendable, Hashable {
        public var session: UInt64
        public var pending: Int
        public var receipts: Int
    }

    /// Opens a session for `node` with the granted window. An existing session of the same
    /// node is taken over: its in-flight deliveries go back to pending first.
    public mutating func openSession(node name: String, window: Int, now: Millis) -> SessionOpened {
        let node = ref(name)
        if nodes[Int(node)].session != nil {
            endSession(node, reason: .takenOver, now: now)
        }
        let id = nextSessionId
        nextSessionId += 1
        nodes[Int(node)].session = Session(id: id, window: max(window, 1), lastHeard: now, lastPing: now)
        if nextHeartbeatCheck <= now { nextHeartbeatCheck = now + heartbeatCheckInterval }
        dirty.insert(node)
        let state = nodes[Int(node)]
        return SessionOpened(
            session: id, pending: state.open + state.deliveryWindow.beyond + state.heldInStore,
            receipts: state.receipts.count + state.receiptWindow.beyond)
    }

    /// The node said BYE, or the shell ended its session after a fatal protocol error.
    public mutating func closeSession(node name: String, reason: SessionEndReason, now: Millis) {
        guard let node = lookup(name), nodes[Int(node)].session != nil else { return }
        endSession(node, reason: reason, now: now)
    }

    /// Any message from the node proves it is alive.
    public mutating func heard(from name: String, now: Millis) {
        guard let node = lookup(name) else { return }
        nodes[Int(node)].session?.lastHeard = now
    }

    /// The session id the node currently holds, if it is connected.
    public func session(of name: String) -> UInt64? {
        guard let node = lookup(name) else { return nil }
        return nodes[Int(node)].session?.id
    }

    var heartbeatCheckInterval: Millis { max(config.heartbeatMs / 4, 1) }

    mutating func endSession(_ node: NodeRef, reason: SessionEndReason, now: Millis) {
        guard let session = nodes[Int(node)].session else { return }
        nodes[Int(node)].session = nil
        effects.append(.sessionEnded(node: nodes[Int(node)].name, session: session.id, reason: reason))
        for seq in session.inFlight.sorted() {
            let key = DeliveryKey(seq: seq, node: node)
            guard var delivery = deliveries[key], delivery.inFlightSession == session.id else { continue }
            delivery.inFlightSession = nil
            delivery.generation &+= 1
            deliveries[key] = delivery
            persistEvent(key, event: .sessionLost, attempt: delivery.attempts, detail: reason.rawValue, now: now)
            if delivery.attempts >= config.maxAttempts {
                deadLetter(key, reason: "no acknowledgment after \(delivery.attempts) attempts", now: now)
            } else {
                makeEligible(key, now: now)
            }
        }
        for id in session.receiptsOut {
            guard var receipt = nodes[Int(node)].receipts[id] else { continue }
            receipt.sentInSession = nil
            receipt.generation &+= 1
            nodes[Int(node)].receipts[id] = receipt
            nodes[Int(node)].unsentReceipts.push(ReceiptOrder(id: id, generation: receipt.generation))
        }
    }
}
