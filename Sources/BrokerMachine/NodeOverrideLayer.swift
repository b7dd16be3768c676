import AgencyDirectory
import ReferralProtocol
import StoreModel

/// A key a node may still authenticate with after a rotation, until `until` (ms).
public struct GraceKey: Sendable, Hashable {
    public var node: String
    public var until: Int64

    public init(node: String, until: Int64) { (self.node, self.until) = (node, until) }
}

/// The operators' overrides (`NodeOverride`, kept in the store) laid over the directory file: the directory in force.
///
/// Rules (docs/DESIGN.md, "Operators' node overrides"):
/// - An operator's suspension suspends the node whatever the file says; NODE-RESUME lifts only that suspension, so a
///   node suspended in the file stays suspended.
/// - A rotated key is the node's key while the file still holds the key it replaced (`directoryKey`); once the file
///   holds the new key the override is redundant; a file holding a third key wins (the operator re-keyed it there).
///   The replaced key is let in until its grace ends, unless the file holds a third key.
/// - A key that another node's entry (or grace key) holds is never given to this one: that part is not applied and
///   the layer says so (`problems`).
/// - An override of a node the file no longer has applies to nothing (its row stays, and applies again if the node
///   comes back).
public struct NodeOverrideLayer: Sendable {
    /// The directory in force, with its grace keys.
    public var jurisdiction: Jurisdiction
    /// Overrides (or parts) not applied, each naming the node and why; for the log.
    public var problems: [String]
    /// Nodes whose key rotation is no longer needed (the file holds the new key and no grace remains, or the file
    /// holds a third key): the machine deletes that part of their rows.
    public var redundantKeys: [String]

    public static func apply(_ overrides: [String: NodeOverride], to base: Jurisdiction, now: Int64) -> Self {
        guard !overrides.isEmpty else { return Self(jurisdiction: base, problems: [], redundantKeys: []) }
        var problems: [String] = []
        var redundant: [String] = []
        var entries = base.directory.allEntries
        var graceKeys: [String: GraceKey] = [:]
        // Every key the file gives some node: a rotation may not take one of another node's.
        var owners = Dictionary(entries.map { ($0.publicKey, $0.id) }, uniquingKeysWith: { first, _ in first })
        for index in entries.indices {
            guard let override = overrides[entries[index].id] else { continue }
            let id = entries[index].id
            if override.suspension != nil { entries[index].state = .suspended }
            guard let rotation = override.key else { continue }
            let fileKey = entries[index].publicKey
            let graceOpen = rotation.previousKey != nil && (rotation.previousUntil ?? 0) > now
            if fileKey == rotation.directoryKey {
                if let owner = owners[rotation.publicKey], owner != id {
                    problems.append("\(id): the rotated key is \(owner)'s key in the directory; the file's key stays")
                    continue
                }
                owners[rotation.publicKey] = id
                entries[index].publicKey = rotation.publicKey
            } else if fileKey == rotation.publicKey {
                if !graceOpen { redundant.append(id) }
            } else {
                redundant.append(id)
                continue
            }
            if graceOpen, let previous = rotation.previousKey, let until = rotation.previousUntil {
                if let owner = owners[previous], owner != id {
                    problems.append("\(id): the replaced key is \(owner)'s key now; it is no longer let in for \(id)")
                } else {
                    owners[previous] = id
                    graceKeys[previous] = GraceKey(node: id, until: until)
                }
            }
        }
        let extraKinds = base.directory.knownKinds.subtracting(NodeKind.defaults).sorted()
        do {
            let directory = try Directory(entries: entries, divisions: base.directory.divisions, extraKinds: extraKinds)
            var layered = Jurisdiction(directory: directory, policy: base.policy, plaintext: base.plaintext)
            layered.graceKeys = graceKeys
            return Self(jurisdiction: layered, problems: problems, redundantKeys: redundant.sorted())
        } catch {
            // Not expected (every key was checked above): the file's directory stays in force.
            return Self(jurisdiction: base, problems: problems + ["overrides not applied: \(error)"], redundantKeys: [])
        }
    }
}
