import Foundation
import ReferralProtocol

#if canImport(Glibc)
    import Glibc
#endif

/// A real `referral-gateway` child process hosting some of the bench's nodes (docs/GATEWAY.md).
///
/// Writes `DIR/NAME.json` (`listen: 127.0.0.1:0`, no applications file: loopback needs none; its request-rate
/// limit lifted) and one node file per node
/// in `DIR/NAME-nodes/` (the broker's endpoint, the node's store, the bench's `--window`, and the CURVE fields with
/// `--curve`), starts `referral-gateway --config DIR/NAME.json --log-level warning` with its output in
/// `DIR/NAME.log`, reads the URL from its `referral-gateway: listening on URL` line and waits until `GET /ready`
/// answers 200 (every hosted node has a session with the broker).
final class GatewayProcess: @unchecked Sendable {
    let name: String
    let url: String
    let port: UInt16
    let pid: Int32
    let nodes: [String]
    private let process: Process
    private let logPath: String

    /// `referral-gateway` next to this executable.
    static func defaultExecutable() -> String {
        ((Daemon.defaultExecutable() as NSString).deletingLastPathComponent as NSString)
            .appendingPathComponent("referral-gateway")
    }

    static func start(
        executable: String, name: String, directory: String, nodes: [String], broker: String, keys: BenchKeys?,
        window: Int, readyTimeoutSeconds: Double = 30
    ) async throws -> GatewayProcess {
        guard FileManager.default.isExecutableFile(atPath: executable) else {
            throw BenchError(
                "no referral-gateway executable at \(executable); build it with `swift build --product "
                    + "referral-gateway` (same scratch path and configuration as referral-bench) or pass --gateway PATH"
            )
        }
        let nodeFolder = (directory as NSString).appendingPathComponent("\(name)-nodes")
        try FileManager.default.createDirectory(atPath: nodeFolder, withIntermediateDirectories: true)
        var entries: [JSONValue] = []
        for node in nodes {
            var members: [(key: String, value: JSONValue)] = [
                ("node", .string(node)), ("broker", .string(broker)), ("store", .string("\(node).sqlite")),
                ("window", .integer(Int64(window))), ("reconnect_initial_ms", .integer(200)),
                ("reconnect_max_ms", .integer(2_000)),
            ]
            if let keys {
                guard let publicKey = keys.publicKeys[node] else { throw BenchError("no CURVE key pair for \(node)") }
                members += [
                    ("server_public_key", .string(keys.brokerPublicKey.z85)), ("public_key", .string(publicKey)),
                    ("secret_key_file", .string(keys.secretKeyFile(node))),
                ]
            }
            let path = (nodeFolder as NSString).appendingPathComponent("\(node).json")
            try write(.object(members), to: path)
            entries.append(.object([("id", .string(node)), ("config", .string(path))]))
        }
        let configPath = (directory as NSString).appendingPathComponent("\(name).json")
        // The gateway's own request-rate limit (200 a second by default, for the whole gateway without
        // applications) is lifted: the bench measures what the gateway can carry, not its guard.
        let unlimited = JSONValue.object([("requests_per_second", .integer(1_000_000)), ("burst", .integer(1_000_000))])
        try write(
            .object([("listen", .string("127.0.0.1:0")), ("rate_limit", unlimited), ("nodes", .array(entries))]),
            to: configPath)

        let logPath = (directory as NSString).appendingPathComponent("\(name).log")
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        guard let log = FileHandle(forWritingAtPath: logPath) else { throw BenchError("cannot write \(logPath)") }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["--config", configPath, "--log-level", "warning"]
        process.standardOutput = log
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        try process.run()
        try? log.close()
        let pid = process.processIdentifier
        Cleanup.shared.register(pid: pid)

        let deadline = ContinuousClock.now + .seconds(readyTimeoutSeconds)
        let marker = "referral-gateway: listening on "
        var url: String?
        while url == nil {
            let text = Daemon.tail(of: logPath, lines: 200)
            url = text.split(separator: "\n").first { $0.hasPrefix(marker) }.map { String($0.dropFirst(marker.count)) }
            if url != nil { break }
            guard process.isRunning else {
                Cleanup.shared.unregister(pid: pid)
                throw BenchError("\(name) exited with status \(process.terminationStatus) before listening:\n\(text)")
            }
            guard ContinuousClock.now < deadline else {
                kill(pid, SIGKILL)
                throw BenchError("\(name) printed no 'listening on' line within \(readyTimeoutSeconds) s:\n\(text)")
            }
            try await Task.sleep(for: .milliseconds(10))
        }
        guard let url, let port = HTTPConnection.port(of: url) else {
            kill(pid, SIGKILL)
            throw BenchError("\(name) listens on \(url ?? "?"), not on http://127.0.0.1:PORT")
        }
        let gateway = GatewayProcess(
            name: name, url: url, port: port, pid: pid, nodes: nodes, process: process, logPath: logPath)
        do {
            try await gateway.waitUntilReady(deadline: deadline)
        } catch {
            await gateway.stop()
            throw error
        }
        return gateway
    }

    private init(
        name: String, url: String, port: UInt16, pid: Int32, nodes: [String], process: Process, logPath: String
    ) {
        self.name = name
        self.url = url
        self.port = port
        self.pid = pid
        self.nodes = nodes
        self.process = process
        self.logPath = logPath
    }

    var isRunning: Bool { process.isRunning }
    var logTail: String { Daemon.tail(of: logPath) }

    /// Polls `GET /ready` (on a thread of its own: the client blocks) until it answers 200.
    private func waitUntilReady(deadline: ContinuousClock.Instant) async throws {
        let port = port
        var last = "no answer"
        while ContinuousClock.now < deadline {
            let answer = try? await onThread("bench ready") {
                try HTTPConnection(port: port).request("GET", "/ready", timeoutSeconds: 5)
            }
            if let answer {
                if answer.status == 200 { return }
                last = "\(answer.status) \(answer.text)"
            }
            guard process.isRunning else { throw BenchError("\(name) exited while starting:\n\(logTail)") }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw BenchError("\(name) was not ready (GET /ready: \(last)) in time:\n\(logTail)")
    }

    /// SIGTERM, SIGKILL after `grace`; the exit status (nil: killed).
    @discardableResult
    func stop(grace: Duration = .seconds(10)) async -> Int32? {
        defer { Cleanup.shared.unregister(pid: pid) }
        guard process.isRunning else { return process.terminationStatus }
        process.terminate()
        let deadline = ContinuousClock.now + grace
        while process.isRunning && ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
        if process.isRunning {
            kill(pid, SIGKILL)
            while process.isRunning { try? await Task.sleep(for: .milliseconds(20)) }
            return nil
        }
        return process.terminationStatus
    }

    private static func write(_ json: JSONValue, to path: String) throws {
        try Data(JSONWriter.encode(json) + [UInt8(ascii: "\n")]).write(to: URL(fileURLWithPath: path))
    }
}
