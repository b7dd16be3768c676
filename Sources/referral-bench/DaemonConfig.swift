import Foundation
import ReferralProtocol
import ZeroMQ

/// Writes the broker's configuration for a bench run, in whichever of the two formats the given `referrald`
/// accepts (the configuration is changing while the agency directory is being wired in):
///
/// * `directory`: `referrald.json` with `directory_file`, `insecure_plaintext: true` (the bench's nodes connect
///   without CURVE) and a `rate_limit` raised to its maximum (the bench measures capacity; the production default
///   of 200 msg/s per node would cap one sender), plus `directory.json` listing the nodes (agency, kind, a Gulou
///   division code, a fresh CURVE public key each, active); with `--curve` (`keys` given), `curve.secret_key_file`
///   instead of `insecure_plaintext`, and each node's own public key in the directory;
/// * `inline`: `referrald.json` with the nodes in `nodes[]` (id, agency, name); plaintext only.
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
        executable: String, folder: String, nodes: [Node], logLevel: String, keys: BenchKeys?,
        extra: [(key: String, value: JSONValue)] = []
    ) throws -> (path: String, format: Format) {
        let path = (folder as NSString).appendingPathComponent("referrald.json")
        let common: [(key: String, value: JSONValue)] = [
            ("endpoint", .string("tcp://127.0.0.1:0")),
            ("admin_endpoint", .string("ipc://" + (folder as NSString).appendingPathComponent("admin.sock"))),
            ("data_directory", .string((folder as NSString).appendingPathComponent("broker"))),
            ("log_level", .string(logLevel)),
            ("log_format", .string("text")),
        ]
        let rateLimit: JSONValue = .object([
            ("messages_per_second", .integer(1_000_000)), ("burst", .integer(1_000_000)),
        ])
        let security: (key: String, value: JSONValue) =
            if let keys {
                ("curve", .object([("secret_key_file", .string(keys.brokerSecretKeyFile))]))
            } else {
                ("insecure_plaintext", .bool(true))
            }
        try write(
            .object(
                common + [("directory_file", .string("directory.json")), security, ("rate_limit", rateLimit)] + extra),
            to: path)
        // Written before the check: check-config loads every file the configuration names, as `run` does.
        let entries: [JSONValue] = try nodes.map { node in
            .object([
                ("id", .string(node.id)), ("agency", .string(node.agency)), ("kind", .string(node.kind)),
                ("division", .string(node.division)), ("name", .string("bench node \(node.id) (made-up)")),
                ("public_key", .string(try keys?.publicKeys[node.id] ?? Curve.generateKeyPair().publicKey.z85)),
                ("state", .string("active")),
            ])
        }
        try write(
            .object([("version", .integer(1)), ("nodes", .array(entries))]),
            to: (folder as NSString).appendingPathComponent("directory.json"))
        let directoryCheck = checkConfig(executable: executable, path: path)
        if directoryCheck.ok { return (path, .directory) }
        guard keys == nil else {
            throw BenchError("referrald refuses the bench's CURVE configuration: \(directoryCheck.output)")
        }

        let inline: [JSONValue] = nodes.map {
            .object([
                ("id", .string($0.id)), ("agency", .string($0.agency)),
                ("name", .string("bench node \($0.id) (made-up)")),
            ])
        }
        try write(.object(common + [("nodes", .array(inline))]), to: path)
        let inlineCheck = checkConfig(executable: executable, path: path)
        guard inlineCheck.ok else {
            throw BenchError(
                "referrald accepts neither configuration format the bench knows:\n"
                    + "with directory_file: \(directoryCheck.output)\nwith nodes[]: \(inlineCheck.output)")
        }
        return (path, .inline)
    }

    private static func write(_ json: JSONValue, to path: String) throws {
        try Data(JSONWriter.encode(json) + [UInt8(ascii: "\n")]).write(to: URL(fileURLWithPath: path))
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
