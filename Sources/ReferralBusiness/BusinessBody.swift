import ReferralProtocol

/// The body of a business message (protocols/business/README.md): a JSON object whose members are the
/// type's properties in snake_case (`childRef` ↔ `child_ref`), as `BusinessCoding` encodes and decodes it.
///
/// The synthesized `Codable` conformance checks the structure (required members, types, codes, the shape of
/// dates, references and addresses). `validate()` adds the rules that tie members together (for example: a
/// child under 14 needs a guardian's consent). `BusinessCoding.decode(_:from:)` runs both and, by default,
/// also refuses members the schema does not have.
public protocol BusinessBody: Codable, Sendable, Hashable {
    /// The kind whose body this is.
    static var kind: BusinessKind { get }

    /// Checks the rules across members that the types alone cannot express. Never mentions a value.
    func validate() throws(BusinessBodyError)

    /// Whether the message must carry a case id: `kind.requiresCase` unless the body says otherwise.
    var requiresCase: Bool { get }

    /// The header priority this body requires, if it decides it (a risk colour, a crisis); nil when the
    /// priority is the case's (the answers of a service, a cancellation, a closed plan).
    var requiredPriority: Priority? { get }
}

extension BusinessBody {
    public func validate() throws(BusinessBodyError) {}
    public var requiresCase: Bool { Self.kind.requiresCase }
    public var requiredPriority: Priority? { nil }
}

/// Why a body cannot be decoded, validated or sent. Never contains a value from the body: only member paths
/// (`lawful_basis/given_by`) and the rule that failed.
public enum BusinessBodyError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The bytes are not one JSON object in UTF-8.
    case notAnObject
    /// A member is missing, has the wrong type, or a value outside its grammar or code list.
    case malformed(path: String, problem: String)
    /// A rule across members is broken.
    case invalid(path: String, rule: String)
    /// The body has a member its schema does not (a strict decode), or `null` where a member must be left out.
    case unexpectedMember(path: String)
    /// The message kind is not one of the 14 business kinds.
    case unknownKind(String)
    /// A kind that needs a case id was given none.
    case missingCase(BusinessKind)
    /// The header priority does not match what the body decides (`expected`).
    case priorityMismatch(kind: BusinessKind, expected: Priority)
    /// A clinical section would go to a recipient that is not a health service.
    case clinicalSectionToNonHealthRecipient(address: String)

    public var description: String {
        switch self {
        case .notAnObject: "the body is not a JSON object"
        case .malformed(let path, let problem): "\(path.isEmpty ? "the body" : path) \(problem)"
        case .invalid(let path, let rule): "\(path.isEmpty ? "the body" : path): \(rule)"
        case .unexpectedMember(let path): "\(path) is not a member of this body (or is null)"
        case .unknownKind(let kind): "\(kind) is not a business message kind"
        case .missingCase(let kind): "a \(kind) message needs a case id"
        case .priorityMismatch(let kind, let expected): "this \(kind) must be sent with priority \(expected.rawValue)"
        case .clinicalSectionToNonHealthRecipient(let address):
            "a discharge notice with a clinical section may go to health services only, not \(address)"
        }
    }
}

/// Small helpers for `validate()` implementations.
enum Rule {
    static func check(_ condition: Bool, _ path: String, _ rule: String) throws(BusinessBodyError) {
        if !condition { throw .invalid(path: path, rule: rule) }
    }

    static func nonEmptyUnique<T: Hashable>(_ items: [T], _ path: String) throws(BusinessBodyError) {
        try check(!items.isEmpty, path, "must not be empty")
        try unique(items, path)
    }

    static func unique<T: Hashable>(_ items: [T], _ path: String) throws(BusinessBodyError) {
        try check(Set(items).count == items.count, path, "must not repeat an item")
    }
}
