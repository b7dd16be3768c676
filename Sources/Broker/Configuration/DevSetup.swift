import AgencyDirectory
import Foundation
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
        let nodes: [[String: Any]] = entries.map {
            [
                "id": $0.id, "agency": $0.agency.rawValue, "kind": $0.kind, "division": $0.division, "name": $0.name,
                "public_key": $0.publicKey, "state": $0.state.rawValue,
            ]
        }
        try writeJSON(["version": 1, "nodes": nodes], to: folder + "/directory.json")
        let broker: [String: Any] = [
            "endpoint": endpoint,
            "admin_endpoint": "ipc://admin.sock",
            "data_directory": "broker",
            "directory_file": "directory.json",
            "curve": ["secret_key_file": "keys/broker.key"],
            "heartbeat_ms": 5_000,
            "ack_timeout_ms": 30_000,
            "log_level": "info",
            "log_format": "text",
        ]
        try writeJSON(broker, to: folder + "/referrald.json")
        for entry in entries {
            let client: [String: Any] = [
                "node": entry.id, "broker": endpoint, "store": "\(entry.id).sqlite", "window": 64,
                "server_public_key": server.publicKey, "public_key": entry.publicKey,
                "secret_key_file": "../keys/\(entry.id).key",
            ]
            try writeJSON(client, to: folder + "/nodes/\(entry.id).json")
        }
    }

    static func writeJSON(_ object: [String: Any], to path: String) throws {
        let data = try JSONSerialization.data(
            withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        guard FileManager.default.createFile(atPath: path, contents: data + Data("\n".utf8)) else {
            throw ConfigurationError(source: path, field: "(file)", problem: "cannot be written")
        }
    }
}
