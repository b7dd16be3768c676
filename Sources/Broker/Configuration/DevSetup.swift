import AgencyDirectory
import Foundation
import ReferralProtocol
import ZeroMQ

/// Writes the embedded development setup: CURVE keys for the broker and every demo node
/// (generated here, never committed), the demo directory of one Fujian county (Gulou,
/// 350102), the broker configuration and one client configuration per demo node. All
/// names are made up.
public enum DevSetup {
    /// Creates `folder/referrald.json`, `folder/directory.json`, `folder/keys/*` (secret
    /// keys mode 0600) and `folder/nodes/<id>.json`.
    public static func write(directory folder: String, endpoint: String = "tcp://127.0.0.1:5570") throws {
        let fm = FileManager.default
        try fm.createDirectory(atPath: folder + "/nodes", withIntermediateDirectories: true)
        try fm.createDirectory(
            atPath: folder + "/keys", withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        // Key files as `referralctl keygen` writes them: PREFIX.key (mode 0600 from the start) and PREFIX.pub.
        let server = try KeyFiles.write(prefix: folder + "/keys/broker", force: true)
        var publicKeys: [String: String] = [:]
        for id in DemoDirectory.ids {
            publicKeys[id] = try KeyFiles.write(prefix: folder + "/keys/\(id)", force: true).publicKey
        }
        let entries = DemoDirectory.entries(publicKeys: publicKeys)
        let nodes: [JSONValue] = entries.map {
            .object([
                ("id", .string($0.id)), ("agency", .string($0.agency.rawValue)), ("kind", .string($0.kind)),
                ("division", .string($0.division)), ("name", .string($0.name)), ("public_key", .string($0.publicKey)),
                ("state", .string($0.state.rawValue)),
            ])
        }
        try writeJSON(.object([("version", .integer(1)), ("nodes", .array(nodes))]), to: folder + "/directory.json")
        let broker: JSONValue = .object([
            ("endpoint", .string(endpoint)),
            ("admin_endpoint", .string("ipc://admin.sock")),
            ("data_directory", .string("broker")),
            ("directory_file", .string("directory.json")),
            ("curve", .object([("secret_key_file", .string("keys/broker.key"))])),
            ("heartbeat_ms", .integer(5_000)),
            ("ack_timeout_ms", .integer(30_000)),
            ("log_level", .string("info")),
            ("log_format", .string("text")),
            // /health, /ready and /metrics on loopback (README, "Monitoring").
            ("http", .object([("listen", .string("127.0.0.1:9470"))])),
        ])
        try writeJSON(broker, to: folder + "/referrald.json")
        for entry in entries {
            let client: JSONValue = .object([
                ("node", .string(entry.id)), ("broker", .string(endpoint)), ("store", .string("\(entry.id).sqlite")),
                ("window", .integer(64)), ("server_public_key", .string(server.publicKey)),
                ("public_key", .string(entry.publicKey)), ("secret_key_file", .string("../keys/\(entry.id).key")),
            ])
            try writeJSON(client, to: folder + "/nodes/\(entry.id).json")
        }
    }

    /// Writes `value` as one line of JSON (the strict reader's own writer).
    static func writeJSON(_ value: JSONValue, to path: String) throws(ConfigurationError) {
        guard FileManager.default.createFile(atPath: path, contents: Data(JSONWriter.encode(value) + [0x0A])) else {
            throw ConfigurationError(file: path, reason: "cannot be written")
        }
    }
}
