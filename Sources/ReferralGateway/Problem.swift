import ReferralProtocol

/// An RFC 9457 problem details object (`application/problem+json`), the body of every 4xx and 5xx answer of the
/// gateway (GATEWAY-1 "Errors").
///
/// `type` is a URN naming the kind of problem (`urn:referral-gateway:problem:<slug>`), stable for programs;
/// `title` the same in words; `detail` this occurrence. `code` is the broker's 1/RBP error code when the broker
/// gave one (a REJECTED), `field` the request member at fault. Never a message body or a value of one: a detail
/// names members, not their content.
public struct Problem: Error, Sendable, Hashable {
    public var status: Int
    public var slug: String
    public var title: String
    public var detail: String
    public var code: String?
    public var field: String?
    public var recipient: String?
    /// The message the problem is about (the caller's id), when there is one.
    public var messageId: String?

    public init(
        status: Int, slug: String, title: String, detail: String, code: String? = nil, field: String? = nil,
        recipient: String? = nil, messageId: String? = nil
    ) {
        self.status = status
        self.slug = slug
        self.title = title
        self.detail = detail
        self.code = code
        self.field = field
        self.recipient = recipient
        self.messageId = messageId
    }

    public static let mediaType = "application/problem+json"

    public var type: String { "urn:referral-gateway:problem:\(slug)" }

    /// The JSON document (members in a fixed order).
    public var json: [UInt8] {
        var members: [(key: String, value: JSONValue)] = [
            ("type", .string(type)), ("title", .string(title)), ("status", .integer(Int64(status))),
            ("detail", .string(detail)),
        ]
        if let code { members.append(("code", .string(code))) }
        if let field { members.append(("field", .string(field))) }
        if let recipient { members.append(("recipient", .string(recipient))) }
        if let messageId { members.append(("message_id", .string(messageId))) }
        return JSONWriter.encode(.object(members))
    }

    // MARK: - The gateway's problems

    static func badJSON(_ detail: String) -> Problem {
        Problem(status: 400, slug: "malformed-json", title: "The request body is not valid JSON", detail: detail)
    }

    static func invalid(field: String, _ detail: String, messageId: String? = nil) -> Problem {
        Problem(
            status: 422, slug: "invalid-message", title: "The message cannot be sent as it is", detail: detail,
            field: field, messageId: messageId)
    }

    static func badParameter(_ name: String, _ detail: String) -> Problem {
        Problem(
            status: 400, slug: "bad-parameter", title: "A query parameter is not valid", detail: detail, field: name)
    }

    static func conflictingId(_ id: String) -> Problem {
        Problem(
            status: 409, slug: "conflicting-id", title: "This message id was used for other content",
            detail: "message id \(id) is already in the outbox with different content; use a new id for new content",
            field: "id", messageId: id)
    }

    static func unknownNode(_ node: String) -> Problem {
        Problem(
            status: 404, slug: "unknown-node", title: "This gateway does not host that node",
            detail: "no node '\(node)' in the gateway's configuration", field: "node")
    }

    static func unknownMessage(_ id: String) -> Problem {
        Problem(
            status: 404, slug: "unknown-message", title: "No such message",
            detail: "no outbox entry with id \(id)", messageId: id)
    }

    static func notHandedOut(_ handle: String) -> Problem {
        Problem(
            status: 404, slug: "unknown-delivery", title: "No such inbox message handed out",
            detail:
                "no inbox message '\(handle)' is handed out by this gateway (take it with GET .../inbox first; "
                + "after a restart it is handed out again)")
    }

    /// The node's messages go to its webhook: handing them to a poll as well would deliver them twice.
    static func webhookConfigured(_ node: String) -> Problem {
        Problem(
            status: 409, slug: "webhook-configured", title: "This node's inbox is delivered by its webhook",
            detail:
                "node '\(node)' has a webhook in the gateway's configuration: its messages are POSTed there, not "
                + "handed to the inbox poll", field: "node")
    }

    static func tooLarge(limit: Int) -> Problem {
        Problem(
            status: 413, slug: "too-large", title: "The request body is too large",
            detail: "the request body exceeds the gateway's limit of \(limit) octets (max_body_bytes)")
    }

    static let unauthorized = Problem(
        status: 401, slug: "unauthorized", title: "A valid bearer token is required",
        detail: "send Authorization: Bearer <token> with a token of an application in the gateway's applications file")

    static func unavailable(_ detail: String) -> Problem {
        Problem(status: 503, slug: "unavailable", title: "The gateway cannot do this now", detail: detail)
    }

    static func internalError(_ detail: String) -> Problem {
        Problem(status: 500, slug: "internal", title: "The gateway failed", detail: detail)
    }

    /// The broker's final REJECTED of a message: 403 for FORBIDDEN (the policy), 422 otherwise, with the broker's
    /// code, reason, and the field or recipient it named.
    static func rejected(
        id: String, code: String, reason: String, field: String?, recipient: String?
    ) -> Problem {
        Problem(
            status: code == ErrorCode.forbidden.rawValue ? 403 : 422, slug: "rejected",
            title: "The broker rejected the message", detail: reason.isEmpty ? code : reason, code: code,
            field: field, recipient: recipient, messageId: id)
    }
}
