import BrokerCore
import BrokerMachine
import BrokerStore
import ReferralProtocol

/// The store thread's batch as units of store work: each write request becomes one unit (a nack also gets its
/// audit record), and each unit's result becomes the completions that answer its request.
struct StoreBatchPlan {
    /// What a unit answers.
    enum Source {
        case accept(PendingAccept)
        case fire(FireRequest)
        case settlement(SettledDelivery)
        case repair(RepairUnit.Action, replyTo: AdminPeer)
        case nodeOverride(NodeOverrideWrite)
        case move(BacklogMove, AdminPeer)
        case other
    }

    private(set) var units: [StoreUnit] = []
    /// Parallel to `units`.
    private(set) var sources: [Source] = []
    /// Settlements and audit records: already decided, so tried again when the commit fails.
    private(set) var retried: [StoreRequest] = []
    private(set) var reads: [StoreRequest] = []
    /// Purge steps (retention): each its own transaction, run after the batch's completions have been handed back.
    private(set) var purges: [PurgeStep] = []

    init(_ batch: [StoreRequest]) {
        // One unit per request in the usual batch (a nack adds one): no regrowth, each large unit copied once.
        units.reserveCapacity(batch.count)
        sources.reserveCapacity(batch.count)
        for request in batch {
            switch request {
            case .accept(let pending):
                add(.accept(Self.unit(pending)), .accept(pending))
            case .fire(let fire):
                let unit = FireUnit(
                    deadlineId: fire.deadlineId, at: fire.at, next: fire.next, notice: fire.notice.map(Self.unit),
                    audit: fire.audit)
                add(.fire(unit), .fire(fire))
            case .persist(let op):
                let source: Source = if case .settled(let settled) = op { .settlement(settled) } else { .other }
                for unit in Self.units(op) { add(unit, source) }
                retried.append(request)
            case .audit(let event):
                add(.audit(event), .other)
                retried.append(request)
            case .repair(let unit, let replyTo):
                add(.repair(unit), .repair(unit.action, replyTo: replyTo))
            case .nodeOverride(let write):
                add(.nodeOverride(node: write.node, write.override, audit: write.audit), .nodeOverride(write))
            case .moveBacklog(let move, let peer):
                add(.moveBacklog(move), .move(move, peer))
            case .load, .adminRead, .nodeQuery, .dueDeadlines, .openDeliveries, .unconfirmedReceipts, .lanePage:
                reads.append(request)
            case .purge(let step):
                purges.append(step)
            }
        }
    }

    private mutating func add(_ unit: StoreUnit, _ source: Source) {
        units.append(unit)
        sources.append(source)
    }

    /// The completions of a committed batch: every fire first, then accepts, refusals and settlements in unit order.
    func completions(for results: [UnitResult]) -> [StoreCompletion] {
        var fired: [StoreCompletion] = []
        var out: [StoreCompletion] = []
        out.reserveCapacity(sources.count)
        for (source, result) in zip(sources, results) {
            switch (source, result) {
            case (.accept(let pending), .accepted(let outcome)):
                out.append(.accepted(pending, outcome))
            case (.accept(var pending), .caseRefused(let code, let reason)):
                pending.caseRefusal = CaseRefusal(code: ErrorCode(rawValue: code), reason: reason)
                out.append(.caseRefused(pending))
            case (.fire(let fire), .fired(_, let notice)):
                fired.append(.fired(deadlineId: fire.deadlineId, fired: true, nextDue: fire.next?.dueAt))
                if let pending = fire.notice, let notice { out.append(.accepted(pending, notice)) }
            case (.fire(let fire), _):
                fired.append(.fired(deadlineId: fire.deadlineId, fired: false, nextDue: fire.next?.dueAt))
            case (.settlement(let settled), .settled):
                out.append(.settled(settled, stored: true))
            case (.settlement(let settled), .notPending):
                out.append(.settled(settled, stored: false))
            case (.repair(let action, let replyTo), .repaired(let result)):
                out.append(.repaired(action, result, replyTo: replyTo))
            case (.nodeOverride(let write), _):
                out.append(.nodeOverride(write, stored: true))
            case (.move(let move, let peer), .moved(let moved)):
                out.append(.backlogMoved(move, moved, replyTo: peer))
            default:
                break
            }
        }
        return fired.isEmpty ? out : fired + out
    }

    /// The completions of a batch whose commit failed (nothing of it is stored): SENDs are refused (the sender
    /// retries); fires did not fire.
    func failedCompletions() -> [StoreCompletion] {
        sources.compactMap { source in
            switch source {
            case .accept(let pending) where !pending.isNotice:
                .acceptFailed(pending, reason: "the broker could not write to its store")
            case .fire(let fire):
                .fired(deadlineId: fire.deadlineId, fired: false, nextDue: nil)
            case .repair(let action, let replyTo):
                .repaired(action, nil, replyTo: replyTo)
            case .nodeOverride(let write):
                .nodeOverride(write, stored: false)
            case .move(let move, let peer):
                .backlogMoved(move, nil, replyTo: peer)
            default:
                nil
            }
        }
    }

    /// A SEND (or a notice) with everything it does once stored; its digest was computed by the machine at
    /// admission, so the store thread never rebuilds a SEND to hash it.
    static func unit(_ pending: PendingAccept) -> AcceptUnit {
        let message = pending.message
        var closes = pending.closes.map { close in
            close.caseId.map { DeadlineClosing.inCase($0, item: close.item, state: close.state) }
                ?? .withoutCase(item: close.item ?? "", state: close.state)
        }
        switch pending.followUpMeet {
        case .visit(let caseId, let party)?: closes.append(.followUpVisit(caseId: caseId, party: party))
        case .close(let caseId, let closer)?: closes.append(.followUpPlan(caseId: caseId, closer: closer))
        case nil: break
        }
        // A CONFLICT or duplicate is audited by the poll thread once the outcome is known.
        let audit = AuditEvent(
            at: message.acceptedAt, event: .accepted, node: message.sender, messageId: message.messageId,
            recipient: message.recipients.joined(separator: ","), kind: message.kind, detail: pending.routing)
        return AcceptUnit(
            message: message, caseMove: pending.caseCheck, deadlines: pending.deadlines, closes: closes, audit: audit)
    }

    /// A settled delivery with the receipt the machine decided and its audit record.
    static func unit(_ settled: SettledDelivery) -> Settlement {
        let receipt = settled.receipt
        let outcome: Settlement.Outcome
        let audit: AuditEvent
        switch receipt.outcome {
        case .delivered:
            outcome = .delivered
            audit = AuditEvent(
                at: receipt.at, event: .acked, node: receipt.recipient, seq: receipt.seq,
                detail: "attempts=\(settled.attempts)")
        case .deadLettered:
            let reason = receipt.reason ?? ""
            outcome = .deadLettered(reason: reason, holdCase: settled.holdCase)
            audit = AuditEvent(
                at: receipt.at, event: .deadLettered, node: receipt.recipient, seq: receipt.seq,
                detail: "attempts=\(settled.attempts); \(reason)")
        }
        return Settlement(
            seq: receipt.seq, recipient: receipt.recipient, caseId: settled.caseId, at: receipt.at,
            attempts: settled.attempts, firstAttemptAt: settled.firstAttemptAt, outcome: outcome, receiptId: receipt.id,
            sender: receipt.sender, messageId: receipt.messageId, receiptConfirmed: settled.receiptConfirmed,
            audit: audit)
    }

    /// A settlement; a confirmed receipt; a trail event (a nack also audited).
    static func units(_ op: PersistOp) -> [StoreUnit] {
        switch op {
        case .settled(let settled):
            return [.settle(unit(settled))]
        case .receiptConfirmed(let id, let at):
            return [.confirmReceipt(id: id, at: at)]
        case .event(let at, let seq, let recipient, let event, let attempt, let detail):
            let trail = StoreUnit.trail(
                TrailEventRecord(at: at, seq: seq, recipient: recipient, event: event, attempt: attempt, detail: detail)
            )
            guard event == .nacked else { return [trail] }
            let audit = AuditEvent(
                at: at, event: .nacked, node: recipient, seq: seq, detail: "attempt=\(attempt ?? 0); \(detail ?? "")")
            return [trail, .audit(audit)]
        }
    }
}
