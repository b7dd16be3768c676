extension DeliveryScheduler {
    /// Fires everything due by `now`: ended backoffs, ACK timeouts, receipt resends, and the
    /// heartbeat check (PING to every session each interval; a node silent for liveness
    /// intervals plus the transfer allowance loses its session, 1/RBP §11.1).
    public mutating func tick(now: Millis) {
        while let entry = delayed.min, entry.due <= now {
            delayed.pop()
            let key = DeliveryKey(seq: entry.seq, node: entry.node)
            guard let delivery = deliveries[key], delivery.generation == entry.generation else { continue }
            makeEligible(key, now: now)
        }
        while let entry = ackDeadlines.min, entry.due <= now {
            ackDeadlines.pop()
            let key = DeliveryKey(seq: entry.seq, node: entry.node)
            guard let delivery = deliveries[key], delivery.generation == entry.generation,
                delivery.inFlightSession != nil
            else { continue }
            persistEvent(key, event: .ackTimeout, attempt: delivery.attempts, detail: nil, now: now)
            takeOutOfFlight(key)
            retryLater(key, reason: "no acknowledgment", now: now)
        }
        while let entry = receiptDeadlines.min, entry.due <= now {
            receiptDeadlines.pop()
            let node = entry.node
            guard var receipt = nodes[Int(node)].receipts[entry.seq], receipt.generation == entry.generation,
                let session = receipt.sentInSession
            else { continue }
            receipt.sentInSession = nil
            receipt.generation &+= 1
            nodes[Int(node)].receipts[entry.seq] = receipt
            if nodes[Int(node)].session?.id == session {
                nodes[Int(node)].session?.receiptsOut.remove(entry.seq)
            }
            nodes[Int(node)].unsentReceipts.push(ReceiptOrder(id: entry.seq, generation: receipt.generation))
            dirty.insert(node)
        }
        if now >= nextHeartbeatCheck {
            checkHeartbeats(now: now)
            nextHeartbeatCheck = now + heartbeatCheckInterval
        }
    }

    private mutating func checkHeartbeats(now: Millis) {
        let deadAfter = config.heartbeatMs * Millis(config.liveness) + config.transferAllowanceMs
        for index in nodes.indices {
            guard let session = nodes[index].session else { continue }
            // A page read that failed is asked for again here.
            if nodes[index].deliveryWindow.beyond > 0 || nodes[index].receiptWindow.beyond > 0 {
                dirty.insert(NodeRef(index))
            }
            if now - session.lastHeard >= deadAfter {
                endSession(NodeRef(index), reason: .heartbeatExpired, now: now)
            } else if now - session.lastPing >= config.heartbeatMs {
                nodes[index].session?.lastPing = now
                effects.append(.ping(node: nodes[index].name))
            }
        }
    }
}
