/// What a recipient address (or a list of them) resolved to.
public enum Resolution: Sendable, Hashable {
    /// The node ids to deliver to (distinct, in order of first appearance) and, when a role
    /// was involved, what it resolved to, for the message's trail: e.g.
    /// `role:health/psychiatric-clinic@350102 -> 350100: fz-psychiatric` (several roles are
    /// joined with `; `). Nil when only nodes were named.
    case nodes([String], via: String?)
    /// The address cannot be delivered to; the broker REJECTS the whole SEND with the code.
    case failure(ResolutionFailure)
}

/// Why an address resolves to nobody. Never a silent drop: the SEND carrying it is refused.
public struct ResolutionFailure: Error, Sendable, Hashable, CustomStringConvertible {
    /// The kinds of failure, with the error codes the broker reports (1/RBP error-code form).
    public enum Code: String, Sendable, Hashable, CaseIterable {
        /// A node id the directory does not know (the protocol's existing code).
        case unknownNode = "UNKNOWN_RECIPIENT"
        /// A node that exists but is suspended.
        case suspendedNode = "RECIPIENT_SUSPENDED"
        /// Not a node id, `node:ID` or `role:AGENCY/KIND@DIVISION`.
        case malformedAddress = "BAD_ADDRESS"
        /// A role naming an agency that does not exist.
        case unknownAgency = "UNKNOWN_AGENCY"
        /// A role naming a node kind the directory does not know.
        case unknownKind = "UNKNOWN_KIND"
        /// A role naming a division code that is not in the table.
        case invalidDivision = "UNKNOWN_DIVISION"
        /// A well-formed role with no active matching node in the division or any ancestor.
        case noMatchingNode = "NO_MATCHING_NODE"
    }

    public var code: Code
    /// The address as the sender wrote it.
    public var address: String
    /// What is wrong, in words (names divisions searched for `noMatchingNode`).
    public var reason: String

    public init(code: Code, address: String, reason: String) {
        self.code = code
        self.address = address
        self.reason = reason
    }

    public var description: String { "\(code.rawValue): \(reason)" }
}
