/// A recipient as a sender writes it in a SEND's `to`.
///
/// Grammar (ABNF, 1/RBP conventions):
///
/// ```abnf
/// address     = node-address / role-address
/// node-address = [ %s"node:" ] node-id        ; plain node-id: as in version 1 of the protocol
/// role-address = %s"role:" agency "/" ( kind / "*" ) "@" 1*DIGIT
/// agency      = segment                       ; education, civil-affairs, …
/// kind        = segment                       ; a node kind; "*" = any kind of the agency
/// segment     = LCALPHA *( LCALPHA / DIGIT / "-" )
/// ```
///
/// Examples: `gl-school-1`, `node:gl-school-1`, `role:health/psychiatric-clinic@350102`,
/// `role:civil-affairs/*@350102100201`. Parsing checks the form only; whether the agency,
/// kind and division exist is decided by `Directory.resolve(_:)`, which reports each with its
/// own failure code.
public enum Address: Sendable, Hashable, CustomStringConvertible {
    /// One node, by id.
    case node(String)
    /// The nearest active node(s) of `agency` (and `kind`; nil means any kind) at `division`
    /// or, failing that, its nearest ancestor that has one.
    case role(agency: String, kind: String?, division: String)

    /// Parses a recipient string; a malformed one fails with `.malformedAddress`.
    public init(parsing text: String) throws(ResolutionFailure) {
        func malformed(_ reason: String) -> ResolutionFailure {
            ResolutionFailure(code: .malformedAddress, address: text, reason: reason)
        }
        if text.hasPrefix("role:") {
            let rest = text.dropFirst(5)
            guard let slash = rest.firstIndex(of: "/"), let at = rest.firstIndex(of: "@"), slash < at else {
                throw malformed("a role address is role:AGENCY/KIND@DIVISION")
            }
            let agency = rest[..<slash]
            let kind = rest[rest.index(after: slash)..<at]
            let division = rest[rest.index(after: at)...]
            guard Grammar.isSegment(agency), agency.utf8.count <= 64 else {
                throw malformed("the agency of a role address must be one lowercase word")
            }
            guard kind == "*" || (Grammar.isSegment(kind) && kind.utf8.count <= 64) else {
                throw malformed("the kind of a role address must be one lowercase word or *")
            }
            guard Grammar.isDigits(division), division.utf8.count <= 12 else {
                throw malformed("the division of a role address must be a division code (digits)")
            }
            self = .role(agency: String(agency), kind: kind == "*" ? nil : String(kind), division: String(division))
        } else {
            let id = text.hasPrefix("node:") ? String(text.dropFirst(5)) : text
            guard Grammar.isNodeId(id) else {
                throw malformed(
                    "not a node id (1-64 of a-z 0-9 . _ - starting with a letter or digit), node:ID or role:AGENCY/KIND@DIVISION"
                )
            }
            self = .node(id)
        }
    }

    /// The address in its written form: `node:ID` or `role:AGENCY/KIND@DIVISION`.
    public var description: String {
        switch self {
        case .node(let id): "node:\(id)"
        case .role(let agency, let kind, let division): "role:\(agency)/\(kind ?? "*")@\(division)"
        }
    }
}
