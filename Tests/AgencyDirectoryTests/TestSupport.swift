import Foundation
import Testing

@testable import AgencyDirectory

/// The bundled Fujian table (parsed once per process by the module).
func fujian() throws -> DivisionTable {
    try DivisionTable.fujian()
}

/// A made-up but well-formed Z85 public key, distinct for each `n` (base-85 digits of `n`,
/// then filler).
func fakeKey(_ n: Int) -> String {
    let alphabet = Array("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#")
    var digits: [Character] = []
    var value = n
    for _ in 0..<4 {
        digits.append(alphabet[value % 85])
        value /= 85
    }
    return String(digits) + String(repeating: "Q", count: 36)
}

/// Keys for the demo ids.
func demoKeys() -> [String: String] {
    Dictionary(uniqueKeysWithValues: DemoDirectory.ids.enumerated().map { ($0.element, fakeKey($0.offset)) })
}

/// The demo directory with fake keys.
func demoDirectory() throws -> Directory {
    try Directory(entries: DemoDirectory.entries(publicKeys: demoKeys()), divisions: fujian())
}

/// An entry with defaults for the fields a test does not care about.
func entry(
    _ id: String, _ agency: Agency, _ kind: String, _ division: String,
    key: Int, state: NodeState = .active
) -> DirectoryEntry {
    DirectoryEntry(
        id: id, agency: agency, kind: kind, division: division, name: "\(id) (demo)",
        publicKey: fakeKey(key), state: state)
}

/// One node of a directory file as a JSON object, with overrides (nil removes a key).
func nodeJSON(_ id: String, key: Int, _ overrides: [String: String?] = [:]) -> [String: String] {
    var node = [
        "id": id, "agency": "education", "kind": "school", "division": "350102001",
        "name": "\(id) (demo)", "public_key": fakeKey(key), "state": "active",
    ]
    for (field, value) in overrides { node[field] = value }
    return node
}

/// A directory file's bytes.
func directoryData(nodes: [[String: String]], kinds: [String]? = nil, extra: [String: Int] = [:]) throws -> Data {
    var top: [String: Any] = ["version": 1, "nodes": nodes]
    if let kinds { top["kinds"] = kinds }
    for (key, value) in extra { top[key] = value }
    return try JSONSerialization.data(withJSONObject: top, options: [.sortedKeys])
}

/// A fresh temporary folder, removed by the caller with `removeItem`.
func temporaryFolder() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("agency-directory-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// The resolved ids, or nil for a failure.
func ids(_ resolution: Resolution) -> [String]? {
    if case .nodes(let ids, _) = resolution { return ids }
    return nil
}

/// The failure, or nil.
func failure(_ resolution: Resolution) -> ResolutionFailure? {
    if case .failure(let failure) = resolution { return failure }
    return nil
}
