import AgencyDirectory
import BrokerCore
import BrokerStore
import CaseCore
import Foundation
import Logging
import ReferralProtocol

/// Durable timers on the poll thread (issue 4, "Durable timers"): deadlines due now fire through
/// `EscalationPlanner`; each firing is one store batch: the idempotent fire op, then, only if it
/// fired, the escalation notice (an ordinary durable message from `referrald`) and its audit records.
extension PollLoop {
    func fireDueDeadlines(now: Int64) {
        if deadlineWindow.needsRefill(now: now) {
            deadlineWindow.requested = true
            deadlineWindow.stale = false
            storeRequests.append(.dueDeadlines(before: now + DeadlineWindow.horizonMs, limit: DeadlineWindow.limit))
        }
        while let record = deadlineWindow.takeDue(now: now) {
            fire(record, now: now)
        }
    }

    private func fire(_ record: DeadlineRecord, now: Int64) {
        guard let stored = DeadlineRows.read(record) else {
            logger.error("deadline row not understood; closed", metadata: ["deadline": "\(record.id)"])
            storeRequests.append(.fire(FireRequest(deadlineId: record.id, at: now, next: nil, notice: nil, audit: nil)))
            return
        }
        let directory = jurisdiction.directory
        let chains = Escalation.chains(for: stored.deadline, sender: stored.sender, directory: directory)
        switch planner.fire(stored.deadline, stillOpen: true, chains: chains, now: now) {
        case .notDue:
            return
        case .answered:
            storeRequests.append(.fire(FireRequest(deadlineId: record.id, at: now, next: nil, notice: nil, audit: nil)))
        case .noOneToNotify(let next):
            // The item stays open and overdue; the next step looks again (after a reload, say).
            logger.warning(
                "escalation has no one to notify: no supervisor in the directory",
                metadata: [
                    "deadline": "\(record.id)", "case": "\(record.caseId ?? "-")", "item": "\(record.item)",
                    "level": "\(next.level)",
                ])
            storeRequests.append(
                .fire(
                    FireRequest(
                        deadlineId: record.id, at: now, next: DeadlineRows.next(next, after: stored, now: now),
                        notice: nil, audit: nil)))
        case .escalate(let notice, let next):
            let body = Escalation.noticeBody(
                notice, stored: stored, next: next, chains: chains, planner: planner, now: now)
            let priority = Priority(rawValue: record.risk ?? "") ?? .routine
            let message = NewMessage(
                sender: EscalationSettings.brokerSender, messageId: notice.id, digest: [], kind: "escalation.notice",
                caseId: notice.caseId, priority: priority.rank, recipients: notice.recipients, acceptedAt: now,
                body: body)
            let pending = PendingAccept(
                routingId: [], message: message, priority: priority, routing: nil, addresses: notice.recipients,
                isNotice: true)
            let audit = AuditEvent(
                at: now, event: AuditEvent.Name.escalated, node: EscalationSettings.brokerSender,
                messageId: notice.id, recipient: notice.recipients.joined(separator: ","), kind: notice.kind,
                detail:
                    "level \(notice.level): \(notice.overdue) overdue since \(Escalation.timestamp(notice.originalDue))"
                    + (notice.caseId.map { " in case \($0)" } ?? ""))
            logger.notice(
                "escalation",
                metadata: [
                    "deadline": "\(record.id)", "case": "\(notice.caseId ?? "-")", "level": "\(notice.level)",
                    "to": "\(notice.recipients.joined(separator: ","))",
                ])
            storeRequests.append(
                .fire(
                    FireRequest(
                        deadlineId: record.id, at: now,
                        next: DeadlineRows.next(next, after: stored, now: now),
                        notice: pending, audit: audit)))
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
        if let caseId {
            for item in Escalation.answeredItems(kind: kind, sender: node) {
                closes.append(DeadlineClose(caseId: caseId, item: item, state: .met))
            }
        } else if kind == Escalation.acknowledgment {
            // A crisis acknowledgment without a case meets its sender's acknowledgment of every open crisis
            // alert without a case (1/RBP §7.3): it names no alert, and each party acknowledges for itself.
            for item in Escalation.answeredItems(kind: kind, sender: node) {
                closes.append(DeadlineClose(caseId: nil, item: item, state: .met))
            }
        }
        return (set, closes)
    }

    func overdueObject(_ record: DeadlineRecord) -> [String: Any] {
        var object: [String: Any] = [
            "id": record.id, "item": record.item, "due_at": record.dueAt, "level": record.level,
        ]
        if let caseId = record.caseId { object["case"] = caseId }
        if let region = record.region { object["region"] = region }
        if let agency = record.agency { object["agency"] = agency }
        if let risk = record.risk { object["risk"] = risk }
        return object
    }
}
