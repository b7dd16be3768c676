import ReferralProtocol

/// Who the broker serves. Node identity is decided here and only here: in this version a
/// node is who its HELLO says (development, loopback); the next version identifies it by its
/// CURVE key (the ZAP handler's User-Id) and checks HELLO against it.
struct NodeDirectory: Sendable {
    private var entries: [String: NodeEntry]

    init(_ nodes: [NodeEntry]) {
        entries = Dictionary(nodes.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// The node a HELLO may open a session for, or nil (UNKNOWN_NODE).
    func identify(hello: Hello, userId: String?) -> NodeEntry? { entries[hello.node] }

    func contains(_ id: String) -> Bool { entries[id] != nil }
    func entry(_ id: String) -> NodeEntry? { entries[id] }
    var all: [NodeEntry] { entries.values.sorted { $0.id < $1.id } }
}
