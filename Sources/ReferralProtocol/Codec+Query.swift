/// QUERY and ANSWER headers (1/RBP §7.14, §7.15): the members in the order of their tables.
extension Codec {
    static func decodeQuery(_ f: inout HeaderFields) throws(DecodeFailure) -> Query {
        // From a readable `ref` on, every ERROR answering the QUERY carries it (1/RBP §8 step 8).
        let ref = try f.messageId("ref")
        f.ref = ref
        try f.checkMemberCount()
        let what = try f.string("what", Requirement.queryWhat) { $0 == Query.caseWhat || $0 == Query.overdueWhat }
        if what == Query.caseWhat {
            guard let caseId = try f.caseId("case") else {
                throw f.failure(.badField, field: "case", "case is required")
            }
            return Query(ref: ref, subject: .caseView(caseId: caseId))
        }
        let limit = try f.optionalInteger("limit", 1...Int64(Query.maxLimit)) ?? Int64(Query.defaultLimit)
        return Query(ref: ref, subject: .overdue(limit: Int(limit)))
    }

    static func decodeAnswer(_ f: inout HeaderFields) throws(DecodeFailure) -> Answer {
        let ref = try f.messageId("ref")
        let what = try f.string("what", Requirement.queryWhat) { $0 == Query.caseWhat || $0 == Query.overdueWhat }
        if what == Query.caseWhat {
            guard let caseId = try f.caseId("case") else {
                throw f.failure(.badField, field: "case", "case is required")
            }
            let view = CaseView(
                caseId: caseId,
                status: try f.optionalText("status", maxLength: Requirement.shortTextLength),
                attempt: try f.optionalInteger("attempt", ValueRange.positive),
                referrer: try f.optionalString("referrer", Requirement.nodeId, Identifiers.isValidNodeId),
                service: try f.optionalString("service", Requirement.nodeId, Identifiers.isValidNodeId),
                openedAt: try f.optionalInteger("opened_at", ValueRange.time),
                updatedAt: try f.optionalInteger("updated_at", ValueRange.time),
                deadlines: try f.objects("deadlines", deadlineView),
                events: try f.objects("events", eventView),
                truncated: try f.bool("truncated"))
            return Answer(ref: ref, result: .caseView(view))
        }
        let view = OverdueView(items: try f.objects("items", deadlineView), truncated: try f.bool("truncated"))
        return Answer(ref: ref, result: .overdue(view))
    }

    private static func deadlineView(_ f: HeaderFields) throws(DecodeFailure) -> DeadlineView {
        DeadlineView(
            id: try f.integer("id", ValueRange.sequence),
            caseId: try f.caseId("case"),
            awaiting: try f.oneOf("awaiting", Requirement.awaiting),
            party: try f.nodeId("party"),
            seq: try f.optionalInteger("seq", ValueRange.sequence),
            number: try f.optionalInteger("number", ValueRange.positive),
            dueAt: try f.integer("due_at", ValueRange.time),
            level: try f.integer("level", ValueRange.count),
            risk: try f.optionalText("risk", maxLength: Requirement.shortTextLength))
    }

    private static func eventView(_ f: HeaderFields) throws(DecodeFailure) -> EventView {
        EventView(
            at: try f.integer("at", ValueRange.time),
            event: try f.string("event", Requirement.kind, Identifiers.isValidKind),
            seq: try f.integer("seq", ValueRange.sequence),
            id: try f.messageId("id"),
            from: try f.nodeId("from"),
            recipient: try f.optionalString("recipient", Requirement.nodeId, Identifiers.isValidNodeId),
            attempt: try f.optionalInteger("attempt", ValueRange.positive))
    }

    static func encodeQuery(_ m: Query, into w: inout JSONWriter) {
        w.member("ref", m.ref)
        switch m.subject {
        case .caseView(let caseId):
            w.member("what", Query.caseWhat)
            w.member("case", caseId)
        case .overdue(let limit):
            w.member("what", Query.overdueWhat)
            w.member("limit", Int64(limit))
        }
    }

    static func encodeAnswer(_ m: Answer, into w: inout JSONWriter) {
        w.member("ref", m.ref)
        switch m.result {
        case .caseView(let view):
            w.member("what", Query.caseWhat)
            w.member("case", view.caseId)
            if let status = view.status {
                w.member("status", Text.sanitized(status, maxLength: Requirement.shortTextLength))
            }
            if let attempt = view.attempt { w.member("attempt", attempt) }
            if let referrer = view.referrer { w.member("referrer", referrer) }
            if let service = view.service { w.member("service", service) }
            if let openedAt = view.openedAt { w.member("opened_at", openedAt) }
            if let updatedAt = view.updatedAt { w.member("updated_at", updatedAt) }
            w.key(static: "deadlines")
            w.beginArray()
            for deadline in view.deadlines { write(deadline, into: &w) }
            w.endArray()
            w.key(static: "events")
            w.beginArray()
            for event in view.events { write(event, into: &w) }
            w.endArray()
            w.member("truncated", view.truncated)
        case .overdue(let view):
            w.member("what", Query.overdueWhat)
            w.key(static: "items")
            w.beginArray()
            for item in view.items { write(item, into: &w) }
            w.endArray()
            w.member("truncated", view.truncated)
        }
    }

    private static func write(_ d: DeadlineView, into w: inout JSONWriter) {
        w.beginObject()
        w.member("id", d.id)
        if let caseId = d.caseId { w.member("case", caseId) }
        w.member("awaiting", d.awaiting.rawValue)
        w.member("party", d.party)
        if let seq = d.seq { w.member("seq", seq) }
        if let number = d.number { w.member("number", number) }
        w.member("due_at", d.dueAt)
        w.member("level", d.level)
        if let risk = d.risk { w.member("risk", Text.sanitized(risk, maxLength: Requirement.shortTextLength)) }
        w.endObject()
    }

    private static func write(_ e: EventView, into w: inout JSONWriter) {
        w.beginObject()
        w.member("at", e.at)
        w.member("event", e.event)
        w.member("seq", e.seq)
        w.member("id", e.id)
        w.member("from", e.from)
        if let recipient = e.recipient { w.member("recipient", recipient) }
        if let attempt = e.attempt { w.member("attempt", attempt) }
        w.endObject()
    }
}

extension HeaderFields {
    /// A required array of objects, each read by `read` with the same rules as a header; a fault inside an element
    /// is BAD_FIELD naming the array.
    func objects<T>(
        _ name: String, _ read: (HeaderFields) throws(DecodeFailure) -> T
    ) throws(DecodeFailure) -> [T] {
        let requirement = "an array of objects"
        guard case .array(let elements) = try required(name, requirement) else { throw badField(name, requirement) }
        var values: [T] = []
        values.reserveCapacity(elements.count)
        for (index, element) in elements.enumerated() {
            guard case .object(let members) = element else { throw badField(name, requirement) }
            do {
                values.append(try read(HeaderFields(members: members, command: command)))
            } catch {
                throw failure(.badField, field: name, "\(name)[\(index)]: \(error.reason)")
            }
        }
        return values
    }
}

extension Requirement {
    static let queryWhat = "one of case, overdue"
    static let awaiting = "one of delivery, answer, visit"
    /// Status and risk names.
    static let shortTextLength = 32
}
