import Foundation
import ReferralProtocol

/// Every node the broker knows, checked against the division table, with the lookups the
/// broker needs: by id (addressing), by public key (the ZAP handler: key → node), by place
/// (role routing and supervisors).
///
/// Immutable: a reload builds a new `Directory` and swaps it in only if it was built, so a
/// broken file never replaces a good directory (there is no half-loaded state to see).
public struct Directory: Sendable {
    /// Node ids no directory entry may take: `referrald` is the sender of the messages the broker itself
    /// sends (escalation notices).
    public static let reservedIds: Set<String> = ["referrald"]

    /// The table the entries' divisions were checked against.
    public let divisions: DivisionTable
    /// All entries, in file order, divisions canonical.
    public let allEntries: [DirectoryEntry]
    /// The node kinds this directory accepts: `NodeKind.defaults` plus the file's extras.
    public let knownKinds: Set<String>

    private let indexById: [String: Int]
    private let indexByKey: [String: Int]
    /// Canonical division → indexes of the entries placed exactly there.
    private let indexesByDivision: [String: [Int]]

    /// Builds a directory from entries made in code (tests, the demo directory), with the same
    /// checks as `load(file:divisions:)`; errors name the entry as `entries[i] (id "…")`.
    /// - Parameter extraKinds: node kinds to accept beyond `NodeKind.defaults`.
    public init(entries: [DirectoryEntry], divisions: DivisionTable, extraKinds: [String] = [])
        throws(ConfigurationError)
    {
        try self.init(
            labelled: entries.enumerated().map {
                (entry: $0.element, label: Self.label("entries", $0.offset, $0.element.id))
            },
            divisions: divisions, extraKinds: extraKinds, file: nil)
    }

    /// The common builder: `labelled` pairs each entry with how errors name it.
    init(
        labelled: [(entry: DirectoryEntry, label: String)], divisions: DivisionTable,
        extraKinds: [String], file: String?
    ) throws(ConfigurationError) {
        var kinds = Set(NodeKind.defaults)
        for (index, kind) in extraKinds.enumerated() {
            guard Grammar.isName(kind) else {
                throw ConfigurationError(
                    file: file, field: "kinds[\(index)]",
                    reason:
                        "\"\(kind)\" is not a node kind (one lowercase word: [a-z][a-z0-9-]*, at most 64 characters)")
            }
            kinds.insert(kind)
        }
        var entries: [DirectoryEntry] = []
        var indexById: [String: Int] = [:]
        var indexByKey: [String: Int] = [:]
        var indexesByDivision: [String: [Int]] = [:]
        for (index, item) in labelled.enumerated() {
            var entry = item.entry
            func fault(_ field: String, _ reason: String) -> ConfigurationError {
                ConfigurationError(file: file, entry: item.label, field: field, reason: reason)
            }
            guard Grammar.isNodeId(entry.id) else {
                throw fault("id", "must be 1-64 of a-z 0-9 . _ - starting with a letter or digit")
            }
            if let other = indexById[entry.id] {
                throw fault("id", "\"\(entry.id)\" is already the id of \(labelled[other].label)")
            }
            guard !Directory.reservedIds.contains(entry.id) else {
                throw fault(
                    "id", "\"\(entry.id)\" is reserved: the broker sends its own messages (escalation notices) as it")
            }
            guard Grammar.isName(entry.kind) else {
                throw fault("kind", "must be one lowercase word ([a-z][a-z0-9-]*, at most 64 characters)")
            }
            guard kinds.contains(entry.kind) else {
                throw fault(
                    "kind",
                    "\"\(entry.kind)\" is not a known node kind (add it to the top-level \"kinds\" array to allow it)")
            }
            guard let division = divisions.canonicalCode(entry.division) else {
                let shown = Grammar.isDigits(entry.division) ? entry.division : "(not digits)"
                throw fault("division", "\"\(shown)\" is not a division code of the table")
            }
            entry.division = division
            guard Grammar.isDisplayName(entry.name) else {
                throw fault("name", "must be 1-128 characters, not blank, without control characters")
            }
            guard Grammar.isZ85Key(entry.publicKey) else {
                throw fault(
                    "public_key",
                    "must be a CURVE public key in Z85: exactly 40 characters of the Z85 alphabet (got \(entry.publicKey.count) characters)"
                )
            }
            if let other = indexByKey[entry.publicKey] {
                throw fault("public_key", "the same key as \(labelled[other].label); every node needs its own key")
            }
            indexById[entry.id] = index
            indexByKey[entry.publicKey] = index
            indexesByDivision[division, default: []].append(index)
            entries.append(entry)
        }
        self.divisions = divisions
        self.allEntries = entries
        self.knownKinds = kinds
        self.indexById = indexById
        self.indexByKey = indexByKey
        self.indexesByDivision = indexesByDivision
    }

    /// The entry with this node id, active or suspended.
    public func entry(id: String) -> DirectoryEntry? {
        indexById[id].map { allEntries[$0] }
    }

    /// The entry holding this CURVE public key (Z85), active or suspended: the ZAP handler's
    /// key → node mapping. The caller refuses a suspended node; a nil means an unknown key.
    public func entry(publicKey: String) -> DirectoryEntry? {
        indexByKey[publicKey].map { allEntries[$0] }
    }

    /// The entries placed exactly at `division` (canonical), in file order.
    func entries(at division: String) -> [DirectoryEntry] {
        (indexesByDivision[division] ?? []).map { allEntries[$0] }
    }

    /// `nodes[3] (id "x")`, leaving the id out when it is not a valid node id (it might hold
    /// anything, and errors go to logs).
    static func label(_ array: String, _ index: Int, _ id: String?) -> String {
        guard let id, Grammar.isNodeId(id) else { return "\(array)[\(index)]" }
        return "\(array)[\(index)] (id \"\(id)\")"
    }
}
