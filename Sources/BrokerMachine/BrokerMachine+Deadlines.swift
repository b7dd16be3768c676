import AgencyDirectory
import CaseCore
import ReferralProtocol
import StoreModel

/// Durable timers (issue 4, "Durable timers"): deadlines due now fire through `EscalationPlanner`; each firing is
/// one store request: the idempotent fire, then, only if it fired, the escalation notice (an ordinary durable
/// message from `referrald`) and its audit record.
extension BrokerMachine {
    mutating func fireDueDeadlines(now: Int64) {
        if deadlineWindow.needsRefill(now: now) {
            deadlineWindow.requested = true
            deadlineWindow.stale = false
            actions.append(.store(.dueDeadlines(before: now + DeadlineWindow.horizonMs, limit: DeadlineWindow.limit)))
        }
        while let record = deadlineWindow.takeDue(now: now) {
            guard let request = fire(record, now: now) else { continue }
            if request.notice != nil { firingNotices[record.id] = record.risk }
            actions.append(.store(.fire(request)))
        }
    }

    /// What firing `record` at `now` stores; nil when it is not due after all.
    mutating func fire(_ record: DeadlineRecord, now: Int64) -> FireRequest? {
        let closing = FireRequest(deadlineId: record.id, at: now, next: nil, notice: nil, audit: nil)
        guard let stored = DeadlineRows.read(record) else {
            log(.error, "deadline row not understood; closed", ["deadline": "\(record.id)"])
            return closing
        }
        let chains = Escalation.chains(for: stored.deadline, sender: stored.sender, directory: jurisdiction.directory)
        switch planner.fire(stored.deadline, stillOpen: true, chains: chains, now: now) {
        case .notDue:
            return nil
        case .answered:
            return closing
        case .noOneToNotify(let next):
            // The item stays open and overdue; the next step looks again (after a reload, say).
            log(
                .warning, "escalation has no one to notify: no supervisor in the directory",
                [
                    "deadline": "\(record.id)", "case": record.caseId ?? "-", "item": record.item,
                    "escalation_level": "\(next.level)",
                ])
            return FireRequest(
                deadlineId: record.id, at: now, next: DeadlineRows.next(next, after: stored, now: now), notice: nil,
                audit: nil)
        case .escalate(let notice, let next):
            log(
                .notice, "escalation",
                [
                    "deadline": "\(record.id)", "case": notice.caseId ?? "-", "escalation_level": "\(notice.level)",
                    "to": notice.recipients.joined(separator: ","),
                ])
            let body = Escalation.noticeBody(
                notice, stored: stored, next: next, chains: chains, planner: planner, now: now)
            return FireRequest(
                deadlineId: record.id, at: now, next: DeadlineRows.next(next, after: stored, now: now),
                notice: Escalation.noticeAccept(notice, body: body, risk: record.risk, now: now),
                audit: Escalation.noticeAudit(notice, now: now))
        }
    }

    /// The deadlines a SEND sets and those it meets, written with it only if it is stored.
    func deadlineWork(
        kind: String, caseId: String?, node: String, messageId: String, recipients: [String], priority: Priority,
        tracked: Bool, now: Int64
    ) -> (set: [NewDeadline], closes: [DeadlineClose]) {
        var set: [NewDeadline] = []
        // Written only if the message is stored, so a refused move (a tracked request the case does not
        // allow) arms nothing.
        if Escalation.arms(kind: kind, tracked: tracked) {
            set = Escalation.arming(
                settings: escalation, directory: jurisdiction.directory, kind: kind, caseId: caseId, sender: node,
                messageId: messageId, recipients: recipients, priority: priority, now: now)
        }
        var closes: [DeadlineClose] = []
        // A crisis acknowledgment without a case meets its sender's acknowledgment of every open crisis alert
        // without a case (1/RBP §7.3): it names no alert, and each party acknowledges for itself.
        if caseId != nil || kind == Escalation.acknowledgment {
            for item in Escalation.answeredItems(kind: kind, sender: node) {
                closes.append(DeadlineClose(caseId: caseId, item: item, state: .met))
            }
        }
        return (set, closes)
    }
}

extension Escalation {
    /// The notice as a message the broker itself sends: no node waits for its answer.
    static func noticeAccept(_ notice: EscalationNotice, body: [UInt8], risk: String?, now: Int64) -> PendingAccept {
        let priority = Priority(rawValue: risk ?? "") ?? .routine
        let send = Send(
            id: notice.id, to: notice.recipients, kind: noticeKind, caseId: notice.caseId, priority: priority,
            body: body)
        let message = NewMessage(
            sender: EscalationSettings.brokerSender, messageId: notice.id, digest: send.contentDigest,
            kind: noticeKind, caseId: notice.caseId, priority: priority.rank, recipients: notice.recipients,
            acceptedAt: now, body: body)
        return PendingAccept(
            routingId: [], message: message, priority: priority, routing: nil, isNotice: true)
    }

    static func noticeAudit(_ notice: EscalationNotice, now: Int64) -> AuditEvent {
        AuditEvent(
            at: now, event: AuditEvent.Name.escalated, node: EscalationSettings.brokerSender, messageId: notice.id,
            recipient: notice.recipients.joined(separator: ","), kind: notice.kind,
            detail: "level \(notice.level): \(notice.overdue) overdue since \(timestamp(notice.originalDue))"
                + (notice.caseId.map { " in case \($0)" } ?? ""))
    }

    static let noticeKind = "escalation.notice"
}
