import ReferralBusiness
import ReferralClient
import ReferralProtocol

/// The body of `POST /v1/nodes/{node}/messages` (GATEWAY-1 "Send"), decoded and checked before anything is
/// stored: the 1/RBP grammars of the header (as `ReferralNode.send` checks them again) and the business body
/// against its schema and rules (protocols/business/), with the case and priority it requires.
///
/// Pure: no node, no I/O. Every refusal is a `Problem` naming the member (`id`, `kind`, `to`, `case`,
/// `priority`, `body`, `followup`, or a body member path), never a value of the body.
public struct SendRequest: Sendable, Hashable {
    /// The message as it goes to the node's outbox. Its `body` is the request's `body` object re-encoded
    /// compactly, in member order: the same request sent twice gives the same octets, so the outbox's own
    /// idempotency (same id and content) applies.
    public var message: OutgoingMessage

    /// The members a request may have; any other is refused (a misspelt `priority` must not be ignored).
    static let members: Set<String> = ["id", "kind", "to", "case", "priority", "body", "followup"]

    /// Nesting deeper than this is refused (a business body needs far less).
    static let maxDepth = 32

    public static func decode(_ bytes: [UInt8]) throws(Problem) -> SendRequest {
        let document: JSONValue
        do throws(JSONError) {
            document = try JSONReader.parse(bytes, maxDepth: maxDepth)
        } catch {
            throw .badJSON("the request body is not valid JSON: \(error.reason) at octet \(error.offset)")
        }
        guard case .object(let members) = document else {
            throw .invalid(field: "", "the request body must be a JSON object")
        }
        if let unknown = members.map(\.key).filter({ !Self.members.contains($0) }).sorted().first {
            throw .invalid(field: unknown, "\(unknown) is not a member of a send request")
        }
        let id = try string(document, "id")
        guard Identifiers.isValidMessageId(id) else {
            throw .invalid(field: "id", "id must be 1-128 characters of A-Z a-z 0-9 . _ : @ -")
        }
        func fail(_ field: String, _ detail: String) -> Problem { .invalid(field: field, detail, messageId: id) }

        let kind = try string(document, "kind", id: id)
        guard BusinessKind(rawValue: kind) != nil else {
            throw fail(
                "kind",
                "kind must be a business kind of protocols/business/ ("
                    + BusinessKind.allCases.map(\.wireName).joined(separator: ", ") + ")")
        }
        guard case .array(let items) = document["to"] ?? .null, !items.isEmpty else {
            throw fail("to", "to must be a non-empty array of addresses (node ids or role:AGENCY/KIND@DIVISION)")
        }
        var to: [String] = []
        for (index, item) in items.enumerated() {
            guard case .string(let address) = item else { throw fail("to[\(index)]", "must be a string") }
            if let problem = Identifiers.addressProblem(address) {
                throw fail("to[\(index)]", "\(address) \(problem)")
            }
            to.append(address)
        }
        guard Set(to).count == to.count else { throw fail("to", "to must not repeat a recipient") }

        var caseId: String?
        if let value = document["case"], value != .null {
            guard case .string(let text) = value, let normalized = Identifiers.normalizedCaseId(text) else {
                throw fail("case", "case must be a UUID")
            }
            caseId = normalized
        }
        var priority = Priority.routine
        if let value = document["priority"] {
            guard case .string(let text) = value, let parsed = Priority(rawValue: text) else {
                throw fail("priority", "priority must be routine, urgent or crisis")
            }
            priority = parsed
        }
        guard let body = document["body"] else { throw fail("body", "body is required (a JSON object)") }
        guard case .object = body else { throw fail("body", "body must be a JSON object") }
        var followUp: FollowUpHeader?
        if let value = document["followup"], value != .null {
            do throws(FollowUpHeaderError) {
                followUp = try FollowUpHeader(value)
            } catch {
                throw fail("followup", "followup: \(error.reason)")
            }
            guard kind == FollowUpHeader.kind, caseId != nil else {
                throw fail("followup", "only a discharge.notice with a case carries a follow-up plan")
            }
        }
        let bytes = JSONWriter.encode(body)
        do throws(BusinessBodyError) {
            try AnyBusinessBody.checkMessage(kind: kind, body: bytes, to: to, caseId: caseId, priority: priority)
        } catch {
            switch error {
            case .missingCase: throw fail("case", "case is required: \(error)")
            case .priorityMismatch: throw fail("priority", "priority does not fit the body: \(error)")
            case .clinicalSectionToNonHealthRecipient: throw fail("to", "\(error)")
            case .malformed(let path, _), .invalid(let path, _), .unexpectedMember(let path):
                throw fail(
                    path.isEmpty ? "body" : "body.\(path)",
                    "the body is not a valid \(kind) (protocols/business/schemas/\(kind).schema.json): \(error)")
            default:
                throw fail("body", "the body is not a valid \(kind): \(error)")
            }
        }
        return SendRequest(
            message: OutgoingMessage(
                id: id, to: to, kind: kind, caseId: caseId, priority: priority, body: bytes, followUp: followUp))
    }

    private static func string(_ document: JSONValue, _ key: String, id: String? = nil) throws(Problem) -> String {
        guard let value = document[key] else { throw .invalid(field: key, "\(key) is required", messageId: id) }
        guard case .string(let text) = value else {
            throw .invalid(field: key, "\(key) must be a string, not \(value.typeName)", messageId: id)
        }
        return text
    }
}
