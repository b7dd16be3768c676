import Foundation
import ReferralProtocol

/// The directory file: JSON, under the operator's control, version 1.
///
/// ```json
/// {
///   "version": 1,
///   "kinds": ["youth-centre"],
///   "nodes": [
///     {
///       "id": "gl-school-1",
///       "agency": "education",
///       "kind": "school",
///       "division": "350102001",
///       "name": "Gulou demo primary school 1 (demo)",
///       "public_key": "<40 characters of Z85>",
///       "state": "active"
///     }
///   ]
/// }
/// ```
///
/// - `version` (required): 1.
/// - `kinds` (optional): node kinds to accept besides `NodeKind.defaults`.
/// - `nodes` (required, may be empty): every member of a node is required:
///   - `id`: node id, 1-64 of `[a-z0-9._-]` starting `[a-z0-9]`, unique;
///   - `agency`: `education`, `civil-affairs`, `health`, `youth-league`,
///     `womens-federation` or `public-security`;
///   - `kind`: a default node kind or one of `kinds`;
///   - `division`: a division code of the table (`35`, `3501`, 6, 9 or 12 digits; stored in
///     canonical form);
///   - `name`: display name, 1-128 characters, no control characters;
///   - `public_key`: the node's CURVE public key in Z85 (40 characters), unique;
///   - `state`: `active` or `suspended`.
///
/// Unknown keys are refused at every level (a misspelt key is a mistake, not an extension), and
/// so is a key given twice in one object.
/// Every error names the file, the entry (`nodes[3] (id "…")`) and the field.
extension Directory {
    /// Reads and checks the directory file at `file`; errors name it by `file.path`.
    public static func load(file: URL, divisions: DivisionTable) throws(ConfigurationError) -> Directory {
        let data: Data
        do {
            data = try Data(contentsOf: file)
        } catch {
            throw ConfigurationError(file: file.path, reason: "cannot be read")
        }
        return try load(data: data, file: file.path, divisions: divisions)
    }

    /// Checks directory JSON already read; `file` is how errors name its origin.
    public static func load(data: Data, file: String, divisions: DivisionTable) throws(ConfigurationError) -> Directory
    {
        var top = try JSONObjectReader(try JSONFile.parse(data, file: file), file: file, entry: nil)
        try top.version(1)
        let kinds = try top.optionalStrings("kinds") ?? []
        let nodes = try top.array("nodes")
        try top.refuseUnknownKeys()
        var labelled: [(entry: DirectoryEntry, label: String)] = []
        for (index, node) in nodes.enumerated() {
            let label = label("nodes", index, node["id"]?.stringValue)
            labelled.append((try entry(node, file: file, label: label), label))
        }
        return try Directory(labelled: labelled, divisions: divisions, extraKinds: kinds, file: file)
    }

    /// Reads one node object; the checks of the values' grammar are the builder's.
    private static func entry(_ node: JSONValue, file: String, label: String) throws(ConfigurationError)
        -> DirectoryEntry
    {
        var reader = try JSONObjectReader(node, file: file, entry: label)
        let id = try reader.string("id")
        let agencyName = try reader.string("agency")
        let kind = try reader.string("kind")
        let division = try reader.string("division")
        let name = try reader.string("name")
        let publicKey = try reader.string("public_key")
        let stateName = try reader.string("state")
        try reader.refuseUnknownKeys()
        guard let agency = Agency(rawValue: agencyName) else {
            let shown = Grammar.isName(agencyName) ? "\"\(agencyName)\" is not an agency" : "not an agency"
            throw reader.error("agency", "\(shown) (one of \(Agency.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        guard let state = NodeState(rawValue: stateName) else {
            throw reader.error("state", "must be \"active\" or \"suspended\"")
        }
        return DirectoryEntry(
            id: id, agency: agency, kind: kind, division: division, name: name, publicKey: publicKey, state: state)
    }
}
