import Foundation
import ZeroMQ

/// Writes the broker's configuration for a bench run, in whichever of the two formats the given `referrald`
/// accepts (the configuration is changing while the agency directory is being wired in):
///
/// * `directory`: `referrald.json` with `directory_file`, `insecure_plaintext: true` (the bench's nodes connect
///   without CURVE) and a `rate_limit` raised to its maximum (the bench measures capacity; the production default
///   of 200 msg/s per node would cap one sender), plus `directory.json` listing the nodes (agency, kind, a Gulou
///   division code, a fresh CURVE public key each, active);
/// * `inline`: `referrald.json` with the nodes in `nodes[]` (id, agency, name).
///
/// Which one is decided by `referrald check-config` on the directory form first.
enum DaemonConfig {
    enum Format: String {
        case directory
        case inline
    }

    struct Node {
        var id: String
        var agency: String
        /// A node kind of the directory (`school`, `child-psychology-clinic`, ...).
        var kind: String
        /// Its division code (a Gulou county code unless a scenario needs a school in a township).
        var division = "350102"
    }

    /// Writes `referrald.json` (and, for the directory format, `directory.json`) into `folder`; returns the
    /// configuration path and the format used.
    static func write(
        executable: String, folder: String, nodes: [Node], logLevel: String
    ) throws -> (path: String, format: Format) {
        let path = (folder as NSString).appendingPathComponent("referrald.json")
        var common: [String: Any] = [
            "endpoint": "tcp://127.0.0.1:0",
            "admin_endpoint": "ipc://" + (folder as NSString).appendingPathComponent("admin.sock"),
            "data_directory": (folder as NSString).appendingPathComponent("broker"),
            "log_level": logLevel,
            "log_format": "text",
        ]

        var withDirectory = common
        withDirectory["directory_file"] = "directory.json"
        withDirectory["insecure_plaintext"] = true
        withDirectory["rate_limit"] = ["messages_per_second": 1_000_000, "burst": 1_000_000]
        try writeJSON(withDirectory, to: path)
        // Written before the check: check-config loads every file the configuration names, as `run` does.
        let entries: [[String: Any]] = try nodes.map { node in
            [
                "id": node.id, "agency": node.agency, "kind": node.kind, "division": node.division,
                "name": "bench node \(node.id) (made-up)", "public_key": try Curve.generateKeyPair().publicKey.z85,
                "state": "active",
            ]
        }
        try writeJSON(
            ["version": 1, "nodes": entries], to: (folder as NSString).appendingPathComponent("directory.json"))
        let directoryCheck = checkConfig(executable: executable, path: path)
        if directoryCheck.ok { return (path, .directory) }

        common["nodes"] = nodes.map { ["id": $0.id, "agency": $0.agency, "name": "bench node \($0.id) (made-up)"] }
        try writeJSON(common, to: path)
        let inlineCheck = checkConfig(executable: executable, path: path)
        guard inlineCheck.ok else {
            throw BenchError(
                "referrald accepts neither configuration format the bench knows:\n"
                    + "with directory_file: \(directoryCheck.output)\nwith nodes[]: \(inlineCheck.output)")
        }
        return (path, .inline)
    }

    private static func writeJSON(_ object: [String: Any], to path: String) throws {
        let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
        try data.write(to: URL(fileURLWithPath: path))
    }

    /// `referrald check-config --config PATH`: whether it exits 0, and what it printed.
    private static func checkConfig(executable: String, path: String) -> (ok: Bool, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["check-config", "--config", path]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        do {
            try process.run()
        } catch {
            return (false, "cannot run \(executable): \(error)")
        }
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let text = String(decoding: output, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return (process.terminationStatus == 0, text)
    }
}
