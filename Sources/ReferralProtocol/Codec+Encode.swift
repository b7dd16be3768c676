/// Encoding: the broker's canonical form of 1/RBP §5.2 (compact, members in table order,
/// optional members omitted when nil). Text members (reasons, agent, field) are made valid on
/// the way out (control characters become spaces, cut to their limit), so an encoded message
/// always decodes; every other value is written as given and must already be valid.
extension Codec {
    public static func encode(_ command: Command) -> [[UInt8]] {
        var w = JSONWriter(reservingCapacity: 256)
        var body: [UInt8] = []
        w.beginObject()
        switch command {
        case .hello(let m):
            w.member("node", m.node)
            w.member("window", Int64(m.window))
            if let agent = m.agent { w.member("agent", Text.sanitized(agent, maxLength: Limits.maxAgentLength)) }

        case .welcome(let m):
            w.member("node", m.node)
            w.member("session", m.session)
            w.member("heartbeat_ms", Int64(m.heartbeatMs))
            w.member("liveness", Int64(m.liveness))
            w.member("window", Int64(m.window))
            w.member("ack_timeout_ms", Int64(m.ackTimeoutMs))
            w.member("max_header", Int64(m.maxHeader))
            w.member("max_body", Int64(m.maxBody))
            w.member("max_recipients", Int64(m.maxRecipients))
            w.member("pending", Int64(m.pending))
            w.member("receipts", Int64(m.receipts))
            if let store = m.store { w.member("store", store) }

        case .send(let m):
            w.member("id", m.id)
            w.member("to", m.to)
            w.member("kind", m.kind)
            if let caseId = m.caseId { w.member("case", caseId) }
            w.member("priority", m.priority.rawValue)
            if let followUp = m.followUp {
                w.key("followup")
                followUp.write(into: &w, sorted: false)
            }
            body = m.body

        case .accepted(let m):
            w.member("id", m.id)
            w.member("seq", m.seq)
            w.member("duplicate", m.duplicate)
            if let recipients = m.recipients { w.member("recipients", Int64(recipients)) }

        case .rejected(let m):
            w.member("id", m.id)
            w.member("code", m.code.rawValue)
            w.member("retry", m.retry)
            w.member("reason", Text.sanitized(m.reason, maxLength: Limits.maxReasonLength))
            if let field = m.field { w.member("field", Text.sanitized(field, maxLength: Limits.maxFieldNameLength)) }
            if let recipient = m.recipient { w.member("recipient", recipient) }

        case .deliver(let m):
            w.member("seq", m.seq)
            w.member("id", m.id)
            w.member("from", m.from)
            w.member("to", m.to)
            w.member("kind", m.kind)
            if let caseId = m.caseId { w.member("case", caseId) }
            w.member("priority", m.priority.rawValue)
            w.member("accepted_at", m.acceptedAt)
            w.member("attempt", Int64(m.attempt))
            body = m.body

        case .ack(let m):
            w.member("seq", m.seq)

        case .nack(let m):
            w.member("seq", m.seq)
            w.member("retry", m.retry)
            w.member("reason", Text.sanitized(m.reason, maxLength: Limits.maxReasonLength))

        case .receipt(let m):
            w.member("receipt", m.receipt)
            w.member("seq", m.seq)
            w.member("id", m.id)
            w.member("recipient", m.recipient)
            w.member("outcome", m.outcome.rawValue)
            w.member("at", m.at)
            if let reason = m.reason { w.member("reason", Text.sanitized(reason, maxLength: Limits.maxReasonLength)) }

        case .receiptAck(let m):
            w.member("receipt", m.receipt)

        case .ping, .pong, .bye:
            break

        case .error(let m):
            w.member("code", m.code.rawValue)
            w.member("reason", Text.sanitized(m.reason, maxLength: Limits.maxReasonLength))
            w.member("fatal", m.fatal)
            if let name = m.command { w.member("command", name) }
            if let field = m.field { w.member("field", Text.sanitized(field, maxLength: Limits.maxFieldNameLength)) }
            if let ref = m.ref { w.member("ref", ref) }

        case .query(let m):
            encodeQuery(m, into: &w)

        case .answer(let m):
            encodeAnswer(m, into: &w)
        }
        w.endObject()
        if body.isEmpty { return [signature, command.kind.nameBytes, w.bytes] }
        return [signature, command.kind.nameBytes, w.bytes, body]
    }
}

/// Member names are the spec's, fixed at compile time: written without scanning them for escapes.
extension JSONWriter {
    mutating func member(_ name: StaticString, _ value: String) {
        key(static: name)
        string(value)
    }

    mutating func member(_ name: StaticString, _ value: Int64) {
        key(static: name)
        integer(value)
    }

    mutating func member(_ name: StaticString, _ value: Bool) {
        key(static: name)
        bool(value)
    }

    mutating func member(_ name: StaticString, _ values: [String]) {
        key(static: name)
        beginArray()
        for value in values { string(value) }
        endArray()
    }
}
