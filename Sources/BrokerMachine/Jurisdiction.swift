import AgencyDirectory
import ReferralProtocol

/// Who is who and who may say what: the agency directory and the authorization policy, as
/// loaded from the operator's files. Node identity is decided here and only here.
public struct Jurisdiction: Sendable {
    public let directory: Directory
    public let policy: Policy
    /// Development only: identity is the HELLO's word, not a CURVE key.
    public let plaintext: Bool
    /// Keys replaced by an operator's rotation that still let their node in, by key (Z85), until their grace ends
    /// (`NodeOverrideLayer`; the machine drops each when it expires).
    public internal(set) var graceKeys: [String: GraceKey] = [:]

    public init(directory: Directory, policy: Policy, plaintext: Bool) {
        (self.directory, self.policy, self.plaintext) = (directory, policy, plaintext)
    }

    public enum Identification {
        case node(DirectoryEntry)
        /// No such node (plaintext) — UNKNOWN_NODE.
        case unknown
        /// The key belongs to another node than the HELLO claims — IDENTITY_MISMATCH.
        case mismatch(keyNode: String)
        case suspended(DirectoryEntry)
    }

    /// The node a HELLO may open a session for. With CURVE the key's node (`keyNode`: `activeNode(key:)`, the
    /// active node whose current key the connection authenticated with) decides and the HELLO must agree; in
    /// plaintext development mode (`keyNode` nil) the HELLO's word is taken.
    public func identify(hello: Hello, keyNode: DirectoryEntry?) -> Identification {
        guard let keyNode else {
            guard let entry = directory.entry(id: hello.node) else { return .unknown }
            return entry.isActive ? .node(entry) : .suspended(entry)
        }
        return keyNode.id == hello.node ? .node(keyNode) : .mismatch(keyNode: keyNode.id)
    }

    /// The active node whose current key is `userId` (the ZAP User-Id: the Z85 key the connection authenticated
    /// with), or nil when the key is unknown, replaced or belongs to a suspended node.
    public func activeNode(key userId: String?) -> DirectoryEntry? {
        guard let userId, let entry = keyOwner(userId), entry.isActive else { return nil }
        return entry
    }

    /// The node holding this key (Z85): its key in force, or a replaced key still in its grace period.
    public func keyOwner(_ key: String) -> DirectoryEntry? {
        if let entry = directory.entry(publicKey: key) { return entry }
        return graceKeys[key].flatMap { directory.entry(id: $0.node) }
    }

    /// When the first grace key expires (nil: none).
    public var nextKeyExpiry: Int64? { graceKeys.values.map(\.until).min() }

    public func entry(_ id: String) -> DirectoryEntry? { directory.entry(id: id) }
}
