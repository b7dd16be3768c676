/// CASE's result to and from JSON: the status members only for a tracked case (never null), each deadline with
/// who is awaited and for what when its item is understood.
extension AdminCodec {
    static func caseJSON(_ info: AdminCase) -> JSONValue {
        var object = AdminObjectWriter()
        object.set("case", info.caseId)
        object.set("events", info.events.map(trailEventJSON))
        object.set("deadlines", info.deadlines.map(deadlineJSON))
        if info.deadlinesTruncated { object.set("deadlines_truncated", true) }
        if let tracking = info.tracking {
            object.set("status", tracking.status)
            object.set("attempt", tracking.attempt)
            object.set("referrer", tracking.referrer)
            object.set("service", tracking.service)
            object.set("opened_at", tracking.openedAt)
            object.set("updated_at", tracking.updatedAt)
        }
        return object.json
    }

    static func deadlineJSON(_ deadline: AdminCase.Deadline) -> JSONValue {
        var object = AdminObjectWriter()
        object.set("id", deadline.id)
        object.set("item", deadline.item)
        object.set("due_at", deadline.dueAt)
        object.set("level", deadline.level)
        object.set("risk", deadline.risk)
        switch deadline.awaiting {
        case .delivery(let seq, let party)?:
            object.set("party", party)
            object.set("awaiting", "delivery")
            object.set("seq", seq)
        case .answer(let kinds, let party)?:
            object.set("party", party)
            object.set("awaiting", "answer")
            object.set("kinds", kinds)
        case .followUpVisit(let number, let party)?:
            object.set("party", party)
            object.set("awaiting", "followup-visit")
            object.set("visit_number", number)
        case nil:
            break
        }
        return object.json
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
