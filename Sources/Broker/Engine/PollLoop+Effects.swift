import BrokerCore
import BrokerStore
import Logging
import ReferralProtocol

extension PollLoop {
    /// Carries out the scheduler's decisions, in order.
    func carryOut(_ effects: [Effect], now: Int64) {
        for effect in effects {
            switch effect {
            case .deliver(let node, let seq, let attempt):
                guard let connection = connections[node] else {
                    scheduler.deliveryNotSent(node: node, seq: seq, now: now)
                    continue
                }
                if let message = cache[seq] {
                    sendDeliver(message, to: node, routingId: connection.routingId, attempt: attempt, now: now)
                } else {
                    if waitingForLoad[seq] == nil { loadRequests.append(seq) }
                    waitingForLoad[seq, default: []].append((node, connection.session, attempt))
                }
            case .sendReceipt(let node, let receipt):
                // Not sent now is sent later: the scheduler resends unconfirmed receipts.
                if let connection = connections[node] { _ = send(.receipt(Receipt(receipt)), to: connection.routingId) }
            case .ping(let node):
                if let connection = connections[node] { _ = send(.ping, to: connection.routingId) }
            case .sessionEnded(let node, let session, let reason):
                if let connection = connections[node], connection.session == session {
                    connections[node] = nil
                    if nodeByRoutingId[connection.routingId] == node { nodeByRoutingId[connection.routingId] = nil }
                }
                logger.info("session ended", metadata: ["node": "\(node)", "session": "\(session)", "reason": "\(reason.rawValue)"])
                audit(
                    AuditEvent(
                        at: now, event: AuditEvent.Name.sessionEnded, node: node,
                        detail: "session=\(session); \(reason.rawValue)"))
            case .persist(let op):
                storeRequests.append(.persist(op))
            }
        }
    }

    static func verificationObject(_ verification: AuditVerification) -> [String: Any] {
        switch verification {
        case .intact(let records, let lastHash):
            return ["intact": true, "records": records, "last_hash": lastHash]
        case .broken(let atId, let problem):
            return ["intact": false, "at_id": atId, "problem": problem]
        }
    }

    static func auditObject(_ row: AuditRecordRow) -> [String: Any] {
        let entry = row.entry
        // "line" is the canonical JSON line (docs/AUDIT.md) whose bytes the hash chain covers.
        var object: [String: Any] = [
            "id": row.id, "at": entry.at, "event": entry.event, "hash": row.hash, "line": BrokerStore.jsonLine(row),
        ]
        let optional: [(String, Any?)] = [
            ("node", entry.node), ("peer", entry.peer), ("key_fingerprint", entry.keyFingerprint),
            ("message_id", entry.messageId), ("seq", entry.seq), ("recipient", entry.recipient), ("kind", entry.kind),
            ("code", entry.code), ("detail", entry.detail),
        ]
        for case (let key, let value?) in optional { object[key] = value }
        return object
    }

    func sendDeliver(_ message: CachedMessage, to node: String, routingId: [UInt8], attempt: Int, now: Int64) {
        let deliver = Deliver(
            seq: message.seq, id: message.id, from: message.from, to: message.to, kind: message.kind,
            caseId: message.caseId, priority: message.priority, acceptedAt: message.acceptedAt, attempt: attempt,
            body: message.body)
        switch send(.deliver(deliver), to: routingId) {
        case .sent:
            audit(
                AuditEvent(
                    at: now, event: AuditEvent.Name.delivered, node: node, messageId: message.id, seq: message.seq,
                    kind: message.kind, detail: "attempt=\(attempt)"))
        case .busy:
            scheduler.deliveryNotSent(node: node, seq: message.seq, now: now)
        case .gone:
            scheduler.deliveryNotSent(node: node, seq: message.seq, now: now)
            scheduler.closeSession(node: node, reason: .disconnected, now: now)
        }
    }

    /// Applies what the store thread has committed or read.
    func handleCompletions(_ completions: [StoreCompletion], now: Int64) {
        var newDeliveries: [DeliveryInfo] = []
        for completion in completions {
            switch completion {
            case .accepted(let pending, let result) where pending.isNotice:
                // An escalation notice the broker sent itself: only its deliveries follow.
                if case .stored(let seq) = result {
                    let message = pending.message
                    cache.insert(
                        CachedMessage(
                            seq: seq, id: message.messageId, from: message.sender, to: message.recipients,
                            kind: message.kind, caseId: message.caseId, priority: pending.priority.wire,
                            acceptedAt: message.acceptedAt, body: message.body))
                    for recipient in message.recipients {
                        newDeliveries.append(
                            DeliveryInfo(
                                seq: seq, recipient: recipient, caseId: message.caseId, priority: pending.priority))
                    }
                }
            case .accepted(let pending, let result):
                pendingAccepts -= 1
                let message = pending.message
                if case .stored = result {
                    for deadline in pending.deadlines { deadlineWindow.noteSet(due: deadline.dueAt) }
                }
                switch result {
                case .stored(let seq):
                    cache.insert(
                        CachedMessage(
                            seq: seq, id: message.messageId, from: message.sender, to: message.recipients,
                            kind: message.kind, caseId: message.caseId, priority: pending.priority.wire,
                            acceptedAt: message.acceptedAt, body: message.body))
                    for recipient in message.recipients {
                        newDeliveries.append(
                            DeliveryInfo(
                                seq: seq, recipient: recipient, caseId: message.caseId, priority: pending.priority,
                                octets: message.body.count))
                    }
                    _ = send(
                        .accepted(
                            Accepted(
                                id: message.messageId, seq: seq, duplicate: false,
                                recipients: message.recipients.count)), to: pending.routingId)
                    if let routing = pending.routing {
                        storeRequests.append(
                            .persist(
                                .event(
                                    at: now, seq: seq, recipient: nil, event: .routed, attempt: nil, detail: routing)))
                    }
                case .duplicate(let seq, let recipients):
                    _ = send(
                        .accepted(Accepted(id: message.messageId, seq: seq, duplicate: true, recipients: recipients)),
                        to: pending.routingId)
                case .conflict:
                    logger.notice("conflicting resend refused", metadata: ["node": "\(message.sender)"])
                    audit(
                        AuditEvent(
                            at: now, event: AuditEvent.Name.rejected, node: message.sender, messageId: message.messageId,
                            kind: message.kind, code: ErrorCode.conflict.rawValue,
                            detail: "the accepted record before this one was a resend with different content"))
                    _ = send(
                        .rejected(
                            Rejected(
                                id: message.messageId, code: .conflict, retry: false,
                                reason: "this message id was already accepted with different content", field: "id",
                                recipient: nil)), to: pending.routingId)
                }
            case .caseRefused(let pending):
                pendingAccepts -= 1
                let message = pending.message
                let refusal = pending.caseRefusal ?? CaseRefusal(code: .illegalTransition, reason: "case move refused")
                logger.notice(
                    "case move refused",
                    metadata: ["node": "\(message.sender)", "kind": "\(message.kind)", "code": "\(refusal.code)"])
                audit(
                    AuditEvent(
                        at: now, event: AuditEvent.Name.rejected, node: message.sender, messageId: message.messageId,
                        kind: message.kind, code: refusal.code.rawValue, detail: refusal.reason))
                _ = send(
                    .rejected(
                        Rejected(
                            id: message.messageId, code: refusal.code, retry: false, reason: refusal.reason, field: nil,
                            recipient: nil)), to: pending.routingId)
            case .acceptFailed(let pending, let reason):
                pendingAccepts -= 1
                answer(
                    .rejected(
                        Rejected(
                            id: pending.message.messageId, code: .storeFailed, retry: true, reason: reason, field: nil,
                            recipient: nil)), node: pending.message.sender, kind: pending.message.kind,
                    to: pending.routingId, now: now)
            case .receiptCreated(let record) where record.sender == EscalationSettings.brokerSender:
                // The broker's own notices: their receipts are recorded (trail, audit) and confirmed at once,
                // as no session will ever confirm them.
                storeRequests.append(.persist(.receiptConfirmed(id: record.id, at: now)))
            case .receiptCreated(let record):
                scheduler.receiptCreated(ReceiptInfo(record), now: now)
            case .loaded(let messages, let missing):
                for stored in messages {
                    let message = CachedMessage(stored)
                    cache.insert(message)
                    for waiting in waitingForLoad.removeValue(forKey: stored.seq) ?? [] {
                        guard scheduler.session(of: waiting.node) == waiting.session,
                            scheduler.isOpen(node: waiting.node, seq: stored.seq),
                            let connection = connections[waiting.node]
                        else { continue }
                        sendDeliver(
                            message, to: waiting.node, routingId: connection.routingId, attempt: waiting.attempt, now: now)
                    }
                }
                for seq in missing {
                    logger.critical("message missing from the store", metadata: ["seq": "\(seq)"])
                    waitingForLoad[seq] = nil
                }
            case .auditVerified(let verification, let replyTo):
                replyAdmin(ok: true, object: Self.verificationObject(verification), to: replyTo)
            case .auditExported(let rows, let replyTo):
                replyAdmin(ok: true, object: ["records": rows.map(Self.auditObject)], to: replyTo)
            case .trail(let entries, let replyTo) where entries.isEmpty:
                replyAdmin(ok: false, object: ["code": "NOT_FOUND", "reason": "no such message or case"], to: replyTo)
            case .trail(let entries, let replyTo):
                replyAdmin(ok: true, object: ["events": entries.map(Self.trailObject)], to: replyTo)
            case .caseInfo(let info, let replyTo) where info.isEmpty:
                let reason = "no case, message or deadline has this case id"
                replyAdmin(ok: false, object: ["code": "NOT_FOUND", "reason": reason], to: replyTo)
            case .caseInfo(let info, let replyTo):
                replyAdmin(ok: true, object: Self.caseObject(info), to: replyTo)
            case .dueDeadlines(let records, let before, let limit):
                deadlineWindow.filled(records, before: before, limit: limit)
            case .dueDeadlinesFailed:
                deadlineWindow.requested = false
                deadlineWindow.stale = true
            case .fired(_, let fired, let nextDue):
                if fired, let nextDue { deadlineWindow.noteSet(due: nextDue) }
                if !fired { deadlineWindow.stale = true }
            case .overdue(let records, let replyTo):
                replyAdmin(ok: true, object: ["overdue": records.map(overdueObject)], to: replyTo)
            case .trailFailed(let reason, let replyTo):
                replyAdmin(ok: false, object: ["code": "STORE_FAILED", "reason": reason], to: replyTo)
            }
        }
        if !newDeliveries.isEmpty { scheduler.enqueue(newDeliveries, now: now) }
    }
}

extension Receipt {
    init(_ info: ReceiptInfo) {
        self.init(
            receipt: info.id, seq: info.seq, id: info.messageId, recipient: info.recipient,
            outcome: info.deadLettered ? .deadLettered : .delivered, at: info.at, reason: info.reason)
    }
}

extension ReceiptInfo {
    init(_ record: ReceiptRecord) {
        self.init(
            id: record.id, sender: record.sender, seq: record.seq, messageId: record.messageId,
            recipient: record.recipient, deadLettered: record.outcome == 1, at: record.at, reason: record.reason)
    }
}

extension CachedMessage {
    init(_ stored: StoredMessage) {
        self.init(
            seq: stored.seq, id: stored.messageId, from: stored.sender, to: stored.recipients, kind: stored.kind,
            caseId: stored.caseId, priority: (DeliveryPriority(rawValue: stored.priority) ?? .routine).wire,
            acceptedAt: stored.acceptedAt, body: stored.body)
    }
}
