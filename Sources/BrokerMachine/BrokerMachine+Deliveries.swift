import BrokerCore
import ReferralProtocol
import StoreModel

/// The scheduler's effects carried into actions: DELIVER from the cache or after a load, receipts, pings,
/// sessions ended, settlements to persist.
extension BrokerMachine {
    mutating func carryOut(_ effects: [Effect], now: Int64) {
        for effect in effects {
            switch effect {
            case .deliver(let node, let seq, let attempt):
                guard let connection = sessions.connection(node) else {
                    scheduler.deliveryNotSent(node: node, seq: seq, now: now)
                    continue
                }
                if let message = cache[seq] {
                    actions.append(.deliver(message.attempt(attempt), node: node, to: connection.routingId))
                } else {
                    if waitingForLoad[seq] == nil { loadRequests.append(seq) }
                    waitingForLoad[seq, default: []].append((node, connection.session, attempt))
                }
            case .sendReceipt(let node, let receipt):
                // Not sent now is sent later: the scheduler resends unconfirmed receipts.
                if let connection = sessions.connection(node) {
                    actions.append(.send(.receipt(Receipt(receipt)), to: connection.routingId))
                }
            case .ping(let node):
                if let connection = sessions.connection(node) { actions.append(.send(.ping, to: connection.routingId)) }
            case .sessionEnded(let node, let session, let reason):
                sessions.ended(node, session: session)
                log(.info, "session ended", ["node": node, "session": "\(session)", "reason": reason.rawValue])
                audit(
                    AuditEvent(
                        at: now, event: AuditEvent.Name.sessionEnded, node: node,
                        detail: "session=\(session); \(reason.rawValue)"))
            case .persist(.settled(var settled)):
                countSettled(
                    node: settled.receipt.recipient, seq: settled.receipt.seq,
                    dead: settled.receipt.outcome == .deadLettered)
                // The broker's own notices: no session will ever confirm their receipts, so they are written
                // confirmed, in the settlement's own batch.
                settled.receiptConfirmed = settled.receipt.sender == EscalationSettings.brokerSender
                actions.append(.store(.persist(.settled(settled))))
            case .persist(let op):
                actions.append(.store(.persist(op)))
            case .loadDeliveries(let node, let afterSeq, let limit):
                actions.append(.store(.openDeliveries(recipient: node, afterSeq: afterSeq, limit: limit)))
            case .loadReceipts(let node, let afterId, let limit):
                actions.append(.store(.unconfirmedReceipts(sender: node, afterId: afterId, limit: limit)))
            }
        }
    }

    /// What the shell reports of a DELIVER: audited once it is on its way; otherwise it stays pending.
    mutating func delivery(node: String, _ deliver: Deliver, _ outcome: DeliveryOutcome, now: Int64) {
        let seq = deliver.seq
        switch outcome {
        case .sent:
            countDelivered(deliver, node: node)
            audit(
                AuditEvent(
                    at: now, event: AuditEvent.Name.delivered, node: node, messageId: deliver.id, seq: seq,
                    kind: deliver.kind, detail: "attempt=\(deliver.attempt)"))
        case .busy:
            scheduler.deliveryNotSent(node: node, seq: seq, now: now)
        case .gone:
            scheduler.deliveryNotSent(node: node, seq: seq, now: now)
            scheduler.closeSession(node: node, reason: .disconnected, now: now)
        }
    }

    /// Messages read from the store for deliveries that missed the cache. They are not cached: a backlog read back
    /// would only push out the recent messages that the connected nodes are about to take.
    mutating func loaded(_ messages: [StoredMessage], missing: [Int64]) {
        for stored in messages {
            let message = Deliver(stored)
            for waiting in waitingForLoad.removeValue(forKey: stored.seq) ?? [] {
                guard scheduler.session(of: waiting.node) == waiting.session,
                    scheduler.isOpen(node: waiting.node, seq: stored.seq),
                    let connection = sessions.connection(waiting.node)
                else { continue }
                actions.append(
                    .deliver(message.attempt(waiting.attempt), node: waiting.node, to: connection.routingId))
            }
        }
        for seq in missing {
            log(.critical, "message missing from the store", ["seq": "\(seq)"])
            waitingForLoad[seq] = nil
        }
    }
}

extension Receipt {
    init(_ info: ReceiptInfo) {
        self.init(
            receipt: info.id, seq: info.seq, id: info.messageId, recipient: info.recipient, outcome: info.outcome,
            at: info.at, reason: info.reason)
    }
}
