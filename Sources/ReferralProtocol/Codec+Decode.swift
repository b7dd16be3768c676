/// Per-command header decoding: the members in the order of their tables in 1/RBP §7.
extension Codec {
    static func decodeHeader(
        _ kind: CommandKind, _ f: inout HeaderFields, body: [UInt8], limits: Limits
    ) throws(DecodeFailure) -> Command {
        // The member limit (§8 step 9); a SEND checks it after its id, so that it is REJECTED, a QUERY after its ref.
        if kind != .send && kind != .query { try f.checkMemberCount() }
        switch kind {
        case .hello:
            let node = try f.nodeId("node")
            // No window asked: 64, or less if the broker allows less (WELCOME grants min(64, maxWindow)).
            let window =
                try f.optionalInteger("window", 1...Int64(limits.maxWindow))
                ?? Int64(min(Limits.defaultWindow, limits.maxWindow))
            let agent = try f.optionalText("agent", maxLength: Limits.maxAgentLength)
            return .hello(Hello(node: node, window: Int(window), agent: agent))

        case .welcome:
            return .welcome(
                Welcome(
                    node: try f.nodeId("node"),
                    session: try f.string("session", Requirement.sessionId, Identifiers.isValidMessageId),
                    heartbeatMs: Int(try f.integer("heartbeat_ms", ValueRange.positive)),
                    liveness: Int(try f.integer("liveness", ValueRange.positive)),
                    window: Int(try f.integer("window", ValueRange.positive)),
                    ackTimeoutMs: Int(try f.integer("ack_timeout_ms", ValueRange.positive)),
                    maxHeader: Int(try f.integer("max_header", ValueRange.positive)),
                    maxBody: Int(try f.integer("max_body", ValueRange.count)),
                    maxRecipients: Int(try f.integer("max_recipients", ValueRange.positive)),
                    pending: Int(try f.integer("pending", ValueRange.count)),
                    receipts: Int(try f.integer("receipts", ValueRange.count)),
                    store: try f.optionalString("store", Requirement.storeEpoch, Identifiers.isValidStoreEpoch)))

        case .send:
            // A SEND whose id can be read is answered REJECTED from here on (1/RBP §8 step 8).
            let id = try f.messageId("id")
            f.messageId = id
            try f.checkMemberCount()
            try checkBody(body, f, limits)
            var send = Send(
                id: id,
                to: try f.addressList("to", maxCount: limits.maxRecipients),
                kind: try f.kind("kind"),
                caseId: try f.caseId("case"),
                priority: try f.oneOf("priority", Requirement.priority),
                body: body)
            send.followUp = try f.followUp("followup", kind: send.kind, caseId: send.caseId)
            return .send(send)

        case .accepted:
            return .accepted(
                Accepted(
                    id: try f.messageId("id"), seq: try f.integer("seq", ValueRange.sequence),
                    duplicate: try f.bool("duplicate"),
                    recipients: try f.optionalInteger("recipients", ValueRange.positive).map { Int($0) }))

        case .rejected:
            return .rejected(
                Rejected(
                    id: try f.messageId("id"),
                    code: try f.errorCode("code"),
                    retry: try f.bool("retry"),
                    reason: try f.text("reason", maxLength: Limits.maxReasonLength),
                    field: try f.optionalText("field", maxLength: Limits.maxFieldNameLength),
                    recipient: try f.optionalString("recipient", Requirement.address, Identifiers.isValidAddress)))

        case .deliver:
            try checkBody(body, f, limits)
            return .deliver(
                Deliver(
                    seq: try f.integer("seq", ValueRange.sequence),
                    id: try f.messageId("id"),
                    from: try f.nodeId("from"),
                    to: try f.nodeIdList("to", maxCount: limits.maxRecipients),
                    kind: try f.kind("kind"),
                    caseId: try f.caseId("case"),
                    priority: try f.oneOf("priority", Requirement.priority),
                    acceptedAt: try f.integer("accepted_at", ValueRange.time),
                    attempt: Int(try f.integer("attempt", ValueRange.positive)),
                    body: body))

        case .ack:
            return .ack(Ack(seq: try f.integer("seq", ValueRange.sequence)))

        case .nack:
            return .nack(
                Nack(
                    seq: try f.integer("seq", ValueRange.sequence), retry: try f.bool("retry"),
                    reason: try f.text("reason", maxLength: Limits.maxReasonLength)))

        case .receipt:
            return .receipt(
                Receipt(
                    receipt: try f.integer("receipt", ValueRange.sequence),
                    seq: try f.integer("seq", ValueRange.sequence),
                    id: try f.messageId("id"),
                    recipient: try f.nodeId("recipient"),
                    outcome: try f.oneOf("outcome", Requirement.outcome),
                    at: try f.integer("at", ValueRange.time),
                    reason: try f.optionalText("reason", maxLength: Limits.maxReasonLength)))

        case .receiptAck:
            return .receiptAck(ReceiptAck(receipt: try f.integer("receipt", ValueRange.sequence)))

        case .ping: return .ping
        case .pong: return .pong
        case .bye: return .bye

        case .error:
            return .error(
                ErrorReply(
                    code: try f.errorCode("code"),
                    reason: try f.text("reason", maxLength: Limits.maxReasonLength),
                    fatal: try f.bool("fatal"),
                    command: try f.optionalString("command", Requirement.commandName, HeaderFields.isCommandName),
                    field: try f.optionalText("field", maxLength: Limits.maxFieldNameLength),
                    ref: try f.optionalString("ref", Requirement.messageId, Identifiers.isValidMessageId)))

        case .query:
            return .query(try decodeQuery(&f))

        case .answer:
            return .answer(try decodeAnswer(&f))
        }
    }

    private static func checkBody(_ body: [UInt8], _ f: HeaderFields, _ limits: Limits) throws(DecodeFailure) {
        guard body.count <= limits.maxBodyBytes else {
            throw f.failure(.tooLarge, field: nil, "body is larger than \(limits.maxBodyBytes) octets")
        }
    }
}
