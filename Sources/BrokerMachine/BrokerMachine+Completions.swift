import BrokerCore
import ReferralProtocol
import StoreModel

/// What the store thread's commits and reads mean: ACCEPTED (only now), duplicates, CONFLICT, case refusals,
/// failed commits, durable receipts, loaded messages and the deadline window; admin reads go to
/// `BrokerMachine+Admin`.
extension BrokerMachine {
    mutating func complete(_ completions: [StoreCompletion], now: Int64) {
        var newDeliveries: [DeliveryInfo] = []
        for completion in completions {
            switch completion {
            case .accepted(let pending, let result):
                newDeliveries += accepted(pending, result, now: now)
            case .caseRefused(let pending):
                pendingAccepts -= 1
                caseRefused(pending, now: now)
            case .acceptFailed(let pending, let reason):
                pendingAccepts -= 1
                let message = pending.message
                answer(
                    .rejected(
                        Rejected(
                            id: message.messageId, code: .storeFailed, retry: true, reason: reason, field: nil,
                            recipient: nil)), node: message.sender, kind: message.kind, to: pending.routingId, now: now)
            case .settled(let settled, let stored):
                settledStored(settled, stored: stored, now: now)
            case .loaded(let messages, let missing):
                loaded(messages, missing: missing)
            case .dueDeadlines(let records, let before, let limit):
                deadlineWindow.filled(records, before: before, limit: limit)
            case .dueDeadlinesFailed:
                deadlineWindow.requested = false
                deadlineWindow.stale = true
            case .fired(let deadlineId, let fired, let nextDue):
                if let risk = firingNotices.removeValue(forKey: deadlineId), fired { countEscalation(risk: risk) }
                if fired, let nextDue { deadlineWindow.noteSet(due: nextDue) }
                if !fired { deadlineWindow.stale = true }
            case .adminRead(let result, let replyTo):
                answer(result, to: replyTo, now: now)
            case .nodeQuery(let result, let ticket):
                answerQuery(result, ticket, now: now)
            case .repaired(let action, let result, let replyTo):
                // Accepts completed before it are enqueued first (a redrive may release a lane they belong to).
                if !newDeliveries.isEmpty { scheduler.enqueue(newDeliveries, now: now) }
                newDeliveries.removeAll()
                repaired(action, result, to: replyTo, now: now)
            case .purged(let result):
                purgeStepDone(result, now: now)
            case .nodeOverride(let write, let stored):
                nodeOverrideStored(write, stored: stored, now: now)
            case .backlogMoved(let move, let moved, let replyTo):
                // What was accepted before the move is counted by it: enqueued first, then forgotten with the rest.
                if !newDeliveries.isEmpty { scheduler.enqueue(newDeliveries, now: now) }
                newDeliveries.removeAll()
                backlogMoved(move, moved, replyTo: replyTo, now: now)
            case .openDeliveries, .unconfirmedReceipts, .lanePage:
                // Accepts completed before the page are enqueued first, so that the page finds them counted.
                if !newDeliveries.isEmpty { scheduler.enqueue(newDeliveries, now: now) }
                newDeliveries.removeAll()
                pageRead(completion, now: now)
            }
        }
        if !newDeliveries.isEmpty { scheduler.enqueue(newDeliveries, now: now) }
    }

    /// A page of the store's backlog for a node (docs/DESIGN.md, "a window on the store"), or that it failed.
    private mutating func pageRead(_ completion: StoreCompletion, now: Int64) {
        switch completion {
        case .openDeliveries(let recipient, let limit, let rows?):
            scheduler.deliveriesLoaded(node: recipient, limit: limit, rows.map(DeliveryInfo.init), now: now)
        case .unconfirmedReceipts(let sender, let limit, let rows?):
            scheduler.receiptsLoaded(node: sender, limit: limit, rows.map(ReceiptInfo.init))
        case .openDeliveries(let recipient, _, nil):
            log(.error, "reading open deliveries failed", ["node": recipient])
            scheduler.pageFailed(node: recipient, receipts: false)
        case .unconfirmedReceipts(let sender, _, nil):
            log(.error, "reading unconfirmed receipts failed", ["node": sender])
            scheduler.pageFailed(node: sender, receipts: true)
        case .lanePage(let recipient, let caseId, let limit, let rows?):
            scheduler.laneLoaded(node: recipient, caseId: caseId, limit: limit, rows.map(DeliveryInfo.init), now: now)
        case .lanePage(let recipient, let caseId, _, nil):
            log(.error, "reading a released lane failed", ["node": recipient, "case": caseId])
            scheduler.lanePageFailed(node: recipient, caseId: caseId)
        default:
            break
        }
    }

    /// A SEND (or the broker's own notice) the store has answered: its deliveries if it was stored, and the
    /// node's answer (ACCEPTED, ACCEPTED duplicate, REJECTED CONFLICT).
    private mutating func accepted(_ pending: PendingAccept, _ result: AcceptResult, now: Int64) -> [DeliveryInfo] {
        let message = pending.message
        if pending.isNotice {
            // An escalation notice the broker sent itself: only its deliveries follow.
            guard case .stored(let seq) = result else { return [] }
            cacheForDelivery(pending, seq: seq)
            return message.recipients.map {
                DeliveryInfo(
                    seq: seq, sender: message.sender, messageId: message.messageId, recipient: $0,
                    caseId: message.caseId, priority: pending.priority)
            }
        }
        pendingAccepts -= 1
        switch result {
        case .stored(let seq):
            for deadline in pending.deadlines { deadlineWindow.noteSet(due: deadline.dueAt) }
            cacheForDelivery(pending, seq: seq)
            countAccepted(kind: message.kind, sender: message.sender)
            let accepted = Accepted(
                id: message.messageId, seq: seq, duplicate: false, recipients: message.recipients.count)
            actions.append(.send(.accepted(accepted), to: pending.routingId))
            if let routing = pending.routing {
                actions.append(
                    .store(
                        .persist(
                            .event(at: now, seq: seq, recipient: nil, event: .routed, attempt: nil, detail: routing))))
            }
            return message.recipients.map {
                DeliveryInfo(
                    seq: seq, sender: message.sender, messageId: message.messageId, recipient: $0,
                    caseId: message.caseId, priority: pending.priority, octets: message.body.count)
            }
        case .duplicate(let seq, let recipients):
            let accepted = Accepted(id: message.messageId, seq: seq, duplicate: true, recipients: recipients)
            actions.append(.send(.accepted(accepted), to: pending.routingId))
        case .conflict:
            log(.notice, "conflicting resend refused", ["node": message.sender])
            countRejected(.conflict)
            audit(
                AuditEvent(
                    at: now, event: AuditEvent.Name.rejected, node: message.sender, messageId: message.messageId,
                    kind: message.kind, code: ErrorCode.conflict.rawValue,
                    detail: "the accepted record before this one was a resend with different content"))
            let reason = "this message id was already accepted with different content"
            actions.append(
                .send(
                    .rejected(
                        Rejected(
                            id: message.messageId, code: .conflict, retry: false, reason: reason, field: "id",
                            recipient: nil)), to: pending.routingId))
        }
        return []
    }

    /// Keeps a stored message for its first DELIVER, if a recipient is connected to take it: a message for offline
    /// recipients is read back from the store when they come (a backlog does not fill the cache).
    private mutating func cacheForDelivery(_ pending: PendingAccept, seq: Int64) {
        guard pending.message.recipients.contains(where: { scheduler.session(of: $0) != nil }) else { return }
        cache.insert(Deliver(pending, seq: seq))
    }

    /// A settlement's batch committed. Its receipt, decided with it, is now durable and goes to its sender (the
    /// broker's own notices' receipts were written confirmed: nobody waits for them). A delivery the store no longer
    /// had pending wrote nothing: its receipt is dropped.
    private mutating func settledStored(_ settled: SettledDelivery, stored: Bool, now: Int64) {
        let receipt = settled.receipt
        guard stored else {
            log(
                .warning, "settled delivery was not pending in the store",
                ["seq": "\(receipt.seq)", "node": receipt.recipient])
            return
        }
        if !settled.receiptConfirmed { scheduler.receiptStored(receipt, now: now) }
    }

    /// Case tracking refused the move in the accepting transaction, and it was not a resend of a stored message.
    private mutating func caseRefused(_ pending: PendingAccept, now: Int64) {
        let message = pending.message
        let refusal = pending.caseRefusal ?? CaseRefusal(code: .illegalTransition, reason: "case move refused")
        log(.notice, "case move refused", ["node": message.sender, "kind": message.kind, "code": "\(refusal.code)"])
        countRejected(refusal.code)
        audit(
            AuditEvent(
                at: now, event: AuditEvent.Name.rejected, node: message.sender, messageId: message.messageId,
                kind: message.kind, code: refusal.code.rawValue, detail: refusal.reason))
        actions.append(
            .send(
                .rejected(
                    Rejected(
                        id: message.messageId, code: refusal.code, retry: false, reason: refusal.reason, field: nil,
                        recipient: nil)), to: pending.routingId))
    }
}

extension DeliveryInfo {
    /// An open delivery as the store holds it (after a restart nothing is in flight); the DELIVER's size is not known
    /// until its message is read.
    public init(_ row: OpenDelivery) {
        self.init(
            seq: row.seq, sender: row.sender, messageId: row.messageId, recipient: row.recipient, caseId: row.caseId,
            priority: Priority(rank: row.priority) ?? .routine, attempts: row.attempts)
    }
}

extension ReceiptInfo {
    /// The store's receipt row. Its integer outcome (1: dead-lettered) becomes the wire's outcome here, and only
    /// here.
    public init(_ record: ReceiptRecord) {
        self.init(
            id: record.id, sender: record.sender, seq: record.seq, messageId: record.messageId,
            recipient: record.recipient, outcome: record.outcome == 1 ? .deadLettered : .delivered, at: record.at,
            reason: record.reason)
    }
}
