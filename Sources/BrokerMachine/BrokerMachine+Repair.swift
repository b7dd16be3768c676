import AgencyDirectory
import BrokerCore
import ReferralProtocol
import StoreModel

/// The operators' repair of dead letters and held cases (protocols/ADMIN-1.md DEAD-LETTERS, DEAD-LETTER, REDRIVE,
/// DISCARD, HELD, RELEASE). The lists are store reads; a change is one store unit that checks the dead letter (or
/// held lane) is still there, makes the change and appends its audit record in one transaction, and only once that
/// has committed does the scheduler put the delivery back or release the lane (docs/DESIGN.md, held lanes).
extension BrokerMachine {
    mutating func repair(_ request: AdminRequest, for peer: AdminPeer, now: Int64) {
        switch request {
        case .deadLetters(let query):
            let limit = Int(query.limit ?? AdminRepair.Query.defaultLimit)
            let filter = DeadLetterFilter(
                recipient: query.node, sender: query.sender, kind: query.kind, reasonContains: query.reason,
                before: query.olderThanMs.map { now - $0 }, since: query.since,
                after: query.cursor.flatMap(AdminRepair.Cursor.init).map {
                    DeadLetterCursor(seq: $0.seq, recipient: $0.recipient)
                },
                limit: limit + 1)
            read(.deadLetters(filter), for: peer)
        case .deadLetter(let seq, let recipient):
            read(.deadLetter(seq: seq, recipient: recipient), for: peer)
        case .held(let recipient):
            read(.held(recipient: recipient), for: peer)
        case .redrive(let seq, let recipient, let to, let operatorName):
            redrive(seq: seq, recipient: recipient, to: to, operatorName: operatorName, for: peer, now: now)
        case .discard(let seq, let recipient, let operatorName):
            let audit = AuditEvent(
                at: now, event: .deadLetterDiscarded, node: recipient, recipient: recipient,
                detail: "operator=\(operatorName)")
            let unit = RepairUnit(
                action: .discard(seq: seq, recipient: recipient), at: now, operatorName: operatorName, audit: audit)
            actions.append(.store(.repair(unit, replyTo: peer)))
        case .release(let caseId, let recipient, let operatorName):
            let lowered = caseId.lowercased()
            let audit = AuditEvent(
                at: now, event: .caseReleased, node: recipient, recipient: recipient,
                detail: "operator=\(operatorName); case=\(lowered)")
            let unit = RepairUnit(
                action: .release(caseId: lowered, recipient: recipient), at: now, operatorName: operatorName,
                audit: audit)
            actions.append(.store(.repair(unit, replyTo: peer)))
        default:
            break
        }
    }

    /// REDRIVE: `to`, when given, must be an active node of the directory, and the policy in force must let the
    /// message's sender send its kind (checked by the store unit, which reads the message).
    private mutating func redrive(
        seq: Int64, recipient: String, to: String?, operatorName: String, for peer: AdminPeer, now: Int64
    ) {
        if let to {
            guard let entry = jurisdiction.entry(to), entry.isActive else {
                return reply(
                    .error(AdminError(.redriveRefused, "\(to) is not an active node of the directory")), to: peer)
            }
        }
        let jurisdiction = self.jurisdiction
        let check: @Sendable (String, String) -> String? = { sender, kind in
            // The broker's own notices are not under the policy.
            if sender == EscalationSettings.brokerSender { return nil }
            guard let entry = jurisdiction.entry(sender) else {
                return "the sender \(sender) is no longer in the directory"
            }
            if case .denied(let why) = jurisdiction.policy.check(sender: entry, kind: kind) { return why }
            return nil
        }
        var detail = "operator=\(operatorName)"
        if let to { detail += "; to=\(to)" }
        let audit = AuditEvent(
            at: now, event: .deadLetterRedriven, node: recipient, recipient: to ?? recipient, detail: detail)
        let unit = RepairUnit(
            action: .redrive(seq: seq, recipient: recipient, to: to, check: check), at: now,
            operatorName: operatorName, audit: audit)
        actions.append(.store(.repair(unit, replyTo: peer)))
    }

    /// DEAD-LETTERS, DEAD-LETTER and HELD answered from what the store read.
    mutating func answerRepairRead(_ result: AdminReadResult, to peer: AdminPeer) {
        switch result {
        case .deadLetters(let rows, let limit):
            let shown = rows.prefix(limit)
            let next =
                rows.count > limit ? shown.last.map { AdminRepair.Cursor(seq: $0.seq, recipient: $0.recipient) } : nil
            reply(
                .ok(.deadLetters(AdminRepair.List(deadLetters: shown.map(Self.adminLetter), nextCursor: next?.text))),
                to: peer)
        case .deadLetter(nil):
            reply(.error(AdminError(.notFound, "no open dead letter of this seq to this recipient")), to: peer)
        case .deadLetter(let detail?):
            reply(
                .ok(
                    .deadLetter(
                        AdminRepair.Detail(
                            letter: Self.adminLetter(detail.letter), recipients: detail.recipients,
                            acceptedAt: detail.acceptedAt, bodyOctets: detail.bodyOctets.map(Int64.init),
                            bodySHA256: detail.bodySHA256.map(SHA256.hex), bodyPurged: detail.bodyOctets == nil,
                            events: detail.trail.map(AdminTrailEvent.init)))), to: peer)
        case .held(let lanes):
            reply(
                .ok(
                    .held(
                        lanes.map {
                            AdminRepair.HeldLane(
                                caseId: $0.held.caseId, recipient: $0.held.recipient, seq: $0.held.seq,
                                since: $0.held.since, waiting: Int64($0.waiting), reason: $0.held.reason)
                        })), to: peer)
        default:
            break
        }
    }

    static func adminLetter(_ record: DeadLetterRecord) -> AdminRepair.DeadLetter {
        AdminRepair.DeadLetter(
            seq: record.seq, messageId: record.messageId, sender: record.sender, recipient: record.recipient,
            kind: record.kind, caseId: record.caseId, priority: (Priority(rank: record.priority) ?? .routine).rawValue,
            deadLetteredAt: record.deadLetteredAt, reason: record.reason, attempts: Int64(record.attempts))
    }

    /// A repair's batch committed (or failed): the scheduler follows the store, then the operator is answered.
    mutating func repaired(_ action: RepairUnit.Action, _ result: RepairResult?, to peer: AdminPeer, now: Int64) {
        guard let result else {
            return reply(.error(AdminError(.storeFailed, "the store could not be written; nothing changed")), to: peer)
        }
        switch (action, result) {
        case (.redrive(let seq, let recipient, _, _), .redriven(let delivery, let released)):
            scheduler.redriven(DeliveryInfo(delivery), deadLetterOf: recipient, releasedLane: released != nil, now: now)
            log(.notice, "dead letter redriven", ["seq": "\(seq)", "recipient": recipient, "to": delivery.recipient])
            reply(
                .ok(
                    .redrive(
                        AdminRepair.Redriven(
                            seq: seq, recipient: recipient, to: delivery.recipient, released: released != nil))),
                to: peer)
        case (.discard(let seq, let recipient), .discarded(let record, let released)):
            scheduler.discarded(
                seq: seq, recipient: recipient, caseId: record.caseId, releasedLane: released != nil, now: now)
            log(.notice, "dead letter discarded", ["seq": "\(seq)", "recipient": recipient])
            reply(
                .ok(.discard(AdminRepair.Discarded(seq: seq, recipient: recipient, released: released != nil))),
                to: peer)
        case (.release, .released(let held)):
            scheduler.released(caseId: held.caseId, recipient: held.recipient, seq: held.seq, now: now)
            log(.notice, "held case released", ["case": held.caseId, "recipient": held.recipient])
            reply(
                .ok(
                    .release(
                        AdminRepair.HeldLane(
                            caseId: held.caseId, recipient: held.recipient, seq: held.seq, since: held.since,
                            waiting: nil, reason: held.reason))), to: peer)
        case (.release, .notFound):
            reply(.error(AdminError(.notFound, "this case is not held for this recipient")), to: peer)
        case (_, .notFound):
            reply(.error(AdminError(.notFound, "no open dead letter of this seq to this recipient")), to: peer)
        case (_, .bodyPurged):
            reply(
                .error(
                    AdminError(
                        .bodyPurged, "the message's body is no longer stored (retention purged it): discard it instead")
                ),
                to: peer)
        case (_, .refused(let why)):
            reply(.error(AdminError(.redriveRefused, why)), to: peer)
        default:
            reply(.error(AdminError(.storeFailed, "the store answered a repair unexpectedly")), to: peer)
        }
    }
}
