import BrokerMachine
import BrokerStore
import CaseCore

/// ADMIN CASE's result (protocols/ADMIN-1.md): where a case stands, its timeline and its open deadlines.
/// Pure functions of what the store thread read, so they are tested without sockets.
extension PollLoop {
    /// The status members appear only for a tracked referral case (one a `referral.request` opened); a case id
    /// known only from other messages or deadlines (a discharge's follow-up plan, a crisis alert) has none.
    static func caseObject(_ info: CaseInfo) -> [String: Any] {
        var object: [String: Any] = [
            "case": info.caseId, "events": info.events.map(trailObject),
            "deadlines": info.deadlines.map(deadlineObject),
        ]
        if info.deadlinesTruncated { object["deadlines_truncated"] = true }
        if let record = info.record {
            object["status"] = record.status
            object["attempt"] = record.attempt
            if let referrer = record.referrer { object["referrer"] = referrer }
            if let service = record.service { object["service"] = service }
            if let openedAt = record.openedAt { object["opened_at"] = openedAt }
            if let updatedAt = record.updatedAt { object["updated_at"] = updatedAt }
        }
        return object
    }

    /// One open deadline: the raw row members, plus who is awaited and for what, read from the item so that
    /// clients need not parse `Awaited.encoded`. A row whose item this daemon cannot read keeps only `item`.
    static func deadlineObject(_ record: DeadlineRecord) -> [String: Any] {
        var object: [String: Any] = [
            "id": record.id, "item": record.item, "due_at": record.dueAt, "level": record.level,
        ]
        if let risk = record.risk { object["risk"] = risk }
        switch Awaited(encoded: record.item) {
        case .delivery(let seq, let recipient):
            object["party"] = recipient
            object["awaiting"] = "delivery"
            object["seq"] = seq
        case .answer(let kinds, let from):
            object["party"] = from
            object["awaiting"] = "answer"
            object["kinds"] = kinds.sorted()
        case .followUpVisit(let number, let by):
            object["party"] = by
            object["awaiting"] = "followup-visit"
            object["visit_number"] = number
        case nil:
            break
        }
        return object
    }
}
