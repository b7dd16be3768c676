import ReferralProtocol

/// GATEWAY-1 `CaseView` and `OverdueView`: what the broker let the node see (1/RBP §7.15), in the same member
/// names as on the wire. Pure.
extension Answers {
    public static func caseView(_ view: CaseView) -> [UInt8] {
        var members: [(key: String, value: JSONValue)] = [("case", .string(view.caseId))]
        if let status = view.status { members.append(("status", .string(status))) }
        if let attempt = view.attempt { members.append(("attempt", .integer(attempt))) }
        if let referrer = view.referrer { members.append(("referrer", .string(referrer))) }
        if let service = view.service { members.append(("service", .string(service))) }
        if let openedAt = view.openedAt { members.append(("opened_at", .integer(openedAt))) }
        if let updatedAt = view.updatedAt { members.append(("updated_at", .integer(updatedAt))) }
        members.append(("deadlines", .array(view.deadlines.map(deadlineValue))))
        members.append(("events", .array(view.events.map(eventValue))))
        members.append(("truncated", .bool(view.truncated)))
        return JSONWriter.encode(.object(members))
    }

    public static func overdueView(_ view: OverdueView) -> [UInt8] {
        JSONWriter.encode(
            .object([("items", .array(view.items.map(deadlineValue))), ("truncated", .bool(view.truncated))]))
    }

    static func deadlineValue(_ d: DeadlineView) -> JSONValue {
        var members: [(key: String, value: JSONValue)] = [("id", .integer(d.id))]
        if let caseId = d.caseId { members.append(("case", .string(caseId))) }
        members.append(("awaiting", .string(d.awaiting.rawValue)))
        members.append(("party", .string(d.party)))
        if let seq = d.seq { members.append(("seq", .integer(seq))) }
        if let number = d.number { members.append(("number", .integer(number))) }
        members.append(("due_at", .integer(d.dueAt)))
        members.append(("level", .integer(d.level)))
        if let risk = d.risk { members.append(("risk", .string(risk))) }
        return .object(members)
    }

    static func eventValue(_ e: EventView) -> JSONValue {
        var members: [(key: String, value: JSONValue)] = [
            ("at", .integer(e.at)), ("event", .string(e.event)), ("seq", .integer(e.seq)), ("id", .string(e.id)),
            ("from", .string(e.from)),
        ]
        if let recipient = e.recipient { members.append(("recipient", .string(recipient))) }
        if let attempt = e.attempt { members.append(("attempt", .integer(attempt))) }
        return .object(members)
    }
}
