import ReferralClient
import ReferralProtocol

/// The JSON of the node's event log (`NodeEvent`) in GATEWAY-1: the `status` webhook event and the data of the
/// events stream. Never a body: the log holds none. Pure.
extension Answers {
    /// GATEWAY-1 `StatusEvent`: a message this node sent was accepted by the broker (`seq`) or rejected for good
    /// (`code`, and `reason`, `field`, `recipient` when the broker gave them).
    static func statusEventValue(_ event: NodeEvent) -> JSONValue {
        var members: [(key: String, value: JSONValue)] = [
            ("message_id", .string(event.messageId)), ("status", .string(event.kind.rawValue)),
        ]
        members.append(contentsOf: details(event))
        return .object(members)
    }

    /// GATEWAY-1 `NodeEvent`: the data of one server-sent event (`number` is also its `id:`, `type` its `event:`).
    static func eventValue(_ event: NodeEvent) -> JSONValue {
        var members: [(key: String, value: JSONValue)] = [
            ("number", .integer(event.number)), ("type", .string(event.kind.rawValue)),
            ("message_id", .string(event.messageId)),
        ]
        if let receipt = event.receipt { members.append(("receipt", .integer(receipt))) }
        members.append(contentsOf: details(event))
        return .object(members)
    }

    private static func details(_ event: NodeEvent) -> [(key: String, value: JSONValue)] {
        var members: [(key: String, value: JSONValue)] = []
        if let seq = event.seq { members.append(("seq", .integer(seq))) }
        if let recipient = event.recipient { members.append(("recipient", .string(recipient))) }
        if let code = event.code { members.append(("code", .string(code))) }
        if let field = event.field { members.append(("field", .string(field))) }
        if let reason = event.reason { members.append(("reason", .string(reason))) }
        members.append(("at", .integer(event.at)))
        return members
    }
}
