import Foundation
import ReferralClient
import ReferralProtocol

/// The JSON documents of GATEWAY-1's answers, built from the node library's values. Pure.
public enum Answers {
    /// What a send (first or repeated) answers, decided from the outbox entry alone, so that the same request
    /// gets the same answer whenever it comes, as long as the message's state has not moved on:
    /// * accepted by the broker: 201 with the status document;
    /// * only in the gateway's outbox (not answered yet, or refused for now and resent): 202;
    /// * rejected by the broker for good: the problem with the broker's code and field (403 or 422).
    public static func sendAnswer(
        _ entry: OutboxEntry, receipts: [DeliveryReceipt]
    ) -> Result<(status: Int, document: [UInt8]), Problem> {
        switch entry.state {
        case .accepted: .success((201, status(entry, receipts: receipts)))
        case .queued: .success((202, status(entry, receipts: receipts)))
        case .rejected:
            .failure(
                .rejected(
                    id: entry.id, code: entry.code ?? "", reason: entry.reason ?? "", field: entry.field,
                    recipient: entry.recipient))
        }
    }

    /// GATEWAY-1 `MessageStatus`: where the message stands and its receipts, never its body.
    public static func status(_ entry: OutboxEntry, receipts: [DeliveryReceipt]) -> [UInt8] {
        JSONWriter.encode(statusValue(entry, receipts: receipts))
    }

    static func statusValue(_ entry: OutboxEntry, receipts: [DeliveryReceipt]) -> JSONValue {
        var members: [(key: String, value: JSONValue)] = [
            ("id", .string(entry.id)), ("status", .string(entry.state.rawValue)), ("kind", .string(entry.kind)),
            ("to", .array(entry.to.map { .string($0) })), ("case", entry.caseId.map { .string($0) } ?? .null),
            ("priority", .string(entry.priority.rawValue)), ("created_at", .integer(entry.createdAt)),
        ]
        if let seq = entry.seq { members.append(("seq", .integer(seq))) }
        if entry.state == .accepted { members.append(("duplicate", .bool(entry.duplicate))) }
        if let answeredAt = entry.answeredAt { members.append(("answered_at", .integer(answeredAt))) }
        if let code = entry.code {
            // For a queued entry this is the last refusal for now (e.g. STORE_FAILED), resent automatically.
            var rejection: [(key: String, value: JSONValue)] = [
                ("code", .string(code)), ("final", .bool(entry.state == .rejected)),
            ]
            if let reason = entry.reason { rejection.append(("reason", .string(reason))) }
            if let field = entry.field { rejection.append(("field", .string(field))) }
            if let recipient = entry.recipient { rejection.append(("recipient", .string(recipient))) }
            members.append(("rejection", .object(rejection)))
        }
        members.append(("receipts", .array(receipts.map(receiptValue))))
        return .object(members)
    }

    static func receiptValue(_ receipt: DeliveryReceipt) -> JSONValue {
        var members: [(key: String, value: JSONValue)] = [
            ("recipient", .string(receipt.recipient)),
            ("outcome", .string(receipt.delivered ? "delivered" : "dead-lettered")),
            ("receipt", .integer(receipt.receipt)), ("at", .integer(receipt.at)),
        ]
        if let reason = receipt.reason { members.append(("reason", .string(reason))) }
        return .object(members)
    }

    /// GATEWAY-1 `InboxMessage`: the header, the handle to complete it with, and the body as the JSON it is
    /// (`body`), or base64 (`body_base64`) when it is not JSON (a sender that is not a gateway).
    public static func inboxValue(_ message: InboxMessage) -> JSONValue {
        var members: [(key: String, value: JSONValue)] = [
            ("handle", .string(InboxHandle.of(message))), ("id", .string(message.id)),
            ("from", .string(message.from)), ("to", .array(message.to.map { .string($0) })),
            ("kind", .string(message.kind)), ("case", message.caseId.map { .string($0) } ?? .null),
            ("priority", .string(message.priority.rawValue)), ("seq", .integer(message.seq)),
            ("accepted_at", .integer(message.acceptedAt)), ("received_at", .integer(message.receivedAt)),
        ]
        if let body = try? JSONReader.parse(message.body, maxDepth: SendRequest.maxDepth) {
            members.append(("body", body))
        } else {
            members.append(("body_base64", .string(Data(message.body).base64EncodedString())))
        }
        return .object(members)
    }

    public static func inbox(_ messages: [InboxMessage]) -> [UInt8] {
        JSONWriter.encode(.object([("messages", .array(messages.map(inboxValue)))]))
    }
}

/// An inbox message's handle in GATEWAY-1: `FROM:ID`. The inbox is keyed by (sender, id); a node id never
/// contains `:`, so the first colon splits the two.
public enum InboxHandle {
    public static func of(_ message: InboxMessage) -> String { "\(message.from):\(message.id)" }

    /// The sender and id of a handle; nil for one that is not `FROM:ID`.
    public static func parse(_ handle: String) -> (from: String, id: String)? {
        guard let colon = handle.firstIndex(of: ":") else { return nil }
        let from = String(handle[..<colon])
        let id = String(handle[handle.index(after: colon)...])
        guard Identifiers.isValidNodeId(from), Identifiers.isValidMessageId(id) else { return nil }
        return (from, id)
    }
}
