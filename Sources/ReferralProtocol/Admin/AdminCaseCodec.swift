/// CASE's result to and from JSON: the status members only for a tracked case (never null), each deadline with
/// who is awaited and for what when its item is understood.
extension AdminCodec {
    static func caseJSON(_ info: AdminCase) -> JSONValue {
        let tracking = info.tracking
        return object([
            "case": info.caseId, "events": info.events.map(trailEventJSON),
            "deadlines": info.deadlines.map(deadlineJSON),
            "deadlines_truncated": info.deadlinesTruncated ? true : nil, "status": tracking?.status,
            "attempt": tracking?.attempt, "referrer": tracking?.referrer, "service": tracking?.service,
            "opened_at": tracking?.openedAt, "updated_at": tracking?.updatedAt,
        ])
    }

    static func deadlineJSON(_ deadline: AdminCase.Deadline) -> JSONValue {
        let (party, awaiting, seq, kinds, visit): (String?, String?, Int64?, [String]?, Int64?) =
            switch deadline.awaiting {
            case .delivery(let seq, let party)?: (party, "delivery", seq, nil, nil)
            case .answer(let kinds, let party)?: (party, "answer", nil, kinds, nil)
            case .followUpVisit(let number, let party)?: (party, "followup-visit", nil, nil, number)
            case nil: (nil, nil, nil, nil, nil)
            }
        return object([
            "id": deadline.id, "item": deadline.item, "due_at": deadline.dueAt, "level": deadline.level,
            "risk": deadline.risk, "party": party, "awaiting": awaiting, "seq": seq, "kinds": kinds,
            "visit_number": visit,
        ])
    }

    static func caseResult(_ object: AdminObjectReader) throws(AdminObjectReader.Malformed) -> AdminCase {
        var tracking: AdminCase.Tracking?
        if let status = try object.optionalString("status") {
            tracking = AdminCase.Tracking(
                status: status, attempt: try object.integer("attempt"), referrer: try object.optionalString("referrer"),
                service: try object.optionalString("service"), openedAt: try object.optionalInteger("opened_at"),
                updatedAt: try object.optionalInteger("updated_at"))
        }
        return AdminCase(
            caseId: try object.string("case"), tracking: tracking, deadlines: try object.objects("deadlines", deadline),
            deadlinesTruncated: try object.flag("deadlines_truncated"),
            events: try object.objects("events", trailEvent))
    }

    static func deadline(_ object: AdminObjectReader) throws(AdminObjectReader.Malformed) -> AdminCase.Deadline {
        let awaiting: AdminCase.Deadline.Awaiting? =
            switch try object.optionalString("awaiting") {
            case "delivery": .delivery(seq: try object.integer("seq"), party: try object.string("party"))
            case "answer": .answer(kinds: try object.strings("kinds"), party: try object.string("party"))
            case "followup-visit":
                .followUpVisit(number: try object.integer("visit_number"), party: try object.string("party"))
            default: nil
            }
        return AdminCase.Deadline(
            id: try object.integer("id"), item: try object.string("item"), dueAt: try object.integer("due_at"),
            level: try object.integer("level"), risk: try object.optionalString("risk"), awaiting: awaiting)
    }
}
