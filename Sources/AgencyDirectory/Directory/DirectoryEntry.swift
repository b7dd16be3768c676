/// One node of the directory: an agency system that may connect to the broker.
///
/// A plain value; it is checked when a `Directory` is built from it, so that one place holds
/// every rule (and names the entry when one is broken).
public struct DirectoryEntry: Sendable, Hashable {
    /// The node id (1/RBP `node-id`: 1-64 of `[a-z0-9._-]`, starting `[a-z0-9]`).
    public var id: String
    /// The agency the node belongs to; decides what it may send (`Policy`).
    public var agency: Agency
    /// What sort of node it is: a default `NodeKind` or one the directory file adds.
    public var kind: String
    /// Where it sits: a division code of the table, canonical once in a `Directory` (6 digits
    /// for province/city/county, 9 for a township, 12 for a village).
    public var division: String
    /// Display name, for operators and trails; made-up in test data.
    public var name: String
    /// The node's CURVE public key in Z85 (40 characters). The node's identity: the broker
    /// knows a node only by the key it authenticated with.
    public var publicKey: String
    /// Whether it is in service.
    public var state: NodeState

    public init(
        id: String, agency: Agency, kind: String, division: String, name: String,
        publicKey: String, state: NodeState = .active
    ) {
        self.id = id
        self.agency = agency
        self.kind = kind
        self.division = division
        self.name = name
        self.publicKey = publicKey
        self.state = state
    }

    /// Whether the node is in service.
    public var isActive: Bool { state == .active }
}
