import Foundation
import ZeroMQ

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// One node of the test directory (made-up).
struct TestNode: Sendable, Hashable {
    var id: String
    var agency: String
    var kind: String
    var division: String
    var state = "active"

    /// The directory 1/RBP §15 assumes (the state vectors rely on exactly these nodes).
    static let standard: [TestNode] = [
        TestNode(id: "test-a", agency: "education", kind: "school", division: "350102001"),
        TestNode(id: "test-b", agency: "health", kind: "child-psychology-clinic", division: "350102"),
        TestNode(id: "test-c", agency: "education", kind: "school", division: "350102003"),
        TestNode(id: "test-d", agency: "health", kind: "hospital", division: "350102"),
        TestNode(id: "test-e", agency: "education", kind: "county-bureau", division: "350102"),
        TestNode(id: "test-f", agency: "health", kind: "psychiatric-clinic", division: "350100"),
        TestNode(id: "test-suspended", agency: "education", kind: "school", division: "350102002", state: "suspended"),
    ]
}

/// A node's CURVE key pair.
struct KeyPair: Sendable {
    var publicKey: CurveKey
    var secretKey: CurveKey
}

/// Settings of the daemon under test (short timers so that failures and redeliveries happen quickly).
struct DaemonOptions: Sendable {
    /// The directory: the nodes of 1/RBP §15, plus whatever a test adds.
    var nodes = TestNode.standard
    var heartbeatMs = 500
    var ackTimeoutMs = 1_500
    var redeliveryInitialMs = 100
    var redeliveryMaxMs = 1_000
    var maxAttempts = 10
    /// `limits.max_body_bytes`; nil: the broker's default.
    var maxBodyBytes: Int?
    /// `limits.max_recipients`; nil: the broker's default.
    var maxRecipients: Int?
    /// `rate_limit` (SENDs per second, burst); nil: the broker's default.
    var rateLimit: (perSecond: Int, burst: Int)?
    /// The mode the broker's secret key file gets (0600 unless a test wants the daemon to refuse it).
    var secretKeyMode: mode_t = 0o600
    /// `escalation_policy_file`'s content (JSON); nil: the broker's default policies.
    var escalationPolicy: String?
    /// `followup_day_ms`: one day of a follow-up plan, in ms (nil: a real day).
    var followUpDayMs: Int?
    /// `delivery_memory` and `receipt_memory` (per node); nil: the broker's defaults.
    var deliveryMemory: Int?
    var receiptMemory: Int?
    /// The `retention` object of referrald.json (periods and purge timer, in ms); nil: the production defaults.
    var retention: [String: Int]?
    var logLevel = ProcessInfo.processInfo.environment["RBIT_LOG_LEVEL"] ?? "info"
    /// The `http` object of the configuration. Off unless a test turns it on: daemons of parallel suites must not
    /// share a port (an HTTP test listens on 127.0.0.1:0 and learns the port from the log or the ready file).
    var http: [String: String] = ["listen": "off"]
    /// `store_lock_wait_ms`; nil: the broker's default (refused at once).
    var storeLockWaitMs: Int?
    /// The `store` object of referrald.json, as JSON text; nil: none (SQLite in the data directory, or PostgreSQL
    /// under `REFERRAL_TEST_DAEMON_STORE=postgresql`).
    var store: String?
    /// A fresh PostgreSQL database whatever `REFERRAL_TEST_DAEMON_STORE` says (the failover tests).
    var postgresql = false
    /// `instance` (the lease holder's name with PostgreSQL); nil: the broker's default (the host name).
    var instance: String?
    /// The endpoint of the first start; nil: `tcp://127.0.0.1:0` (a free port, kept for later starts).
    var endpoint: String?
}

/// The real `referrald` executable, run as a child process on a temporary data directory, with CURVE on.
///
/// `init` generates a CURVE key pair for the broker and for every node of the directory (secret key files
/// created with mode 0600; the broker's with `options.secretKeyMode`), writes the directory file and the
/// configuration. `start()` launches the daemon on `tcp://127.0.0.1:0` the first time and on the first run's
/// actual endpoint after a `kill9()` or `terminate()`, so nodes reconnect by themselves. Its stdout and stderr go
/// to `stderrPath` (appended across runs).
final class DaemonProcess: @unchecked Sendable {
    let directory: String
    let dataDirectory: String
    let configPath: String
    let directoryPath: String
    let keysDirectory: String
    let readyPath: String
    let stderrPath: String
    let adminEndpoint: String
    let executable: String
    /// The broker's key pair; nodes get its public key out of band (here: from this object).
    let serverKeys: KeyPair
    /// The PostgreSQL database of this daemon under `REFERRAL_TEST_DAEMON_STORE=postgresql` (dropped at clean-up).
    private(set) var postgresDatabase: String?

    private let lock = NSLock()
    private var process: Process?
    private var boundEndpoint: String?
    private var readyAdmin: String?
    private var nodeKeys: [String: KeyPair] = [:]

    init(directory: String, options: DaemonOptions) throws {
        self.directory = directory
        dataDirectory = directory + "/data"
        configPath = directory + "/referrald.json"
        directoryPath = directory + "/directory.json"
        keysDirectory = directory + "/keys"
        readyPath = directory + "/ready.json"
        stderrPath = directory + "/referrald.stderr"
        adminEndpoint = "ipc://" + directory + "/admin.sock"
        executable = try Locations.executable("referrald", variable: "REFERRALD_BIN")
        try FileManager.default.createDirectory(
            atPath: keysDirectory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let server = try Curve.generateKeyPair()
        serverKeys = KeyPair(publicKey: server.publicKey, secretKey: server.secretKey)
        try Self.writeKeyFile(serverKeys.secretKey.z85, to: secretKeyPath("broker"), mode: options.secretKeyMode)
        try Self.writeKeyFile(serverKeys.publicKey.z85, to: keysDirectory + "/broker.pub", mode: 0o644)
        try writeDirectory(options.nodes)

        var config: [String: Any] = [
            "data_directory": dataDirectory,
            "admin_endpoint": adminEndpoint,
            "directory_file": directoryPath,
            "curve": ["secret_key_file": secretKeyPath("broker")],
            "heartbeat_ms": options.heartbeatMs,
            "ack_timeout_ms": options.ackTimeoutMs,
            "redelivery": [
                "initial_ms": options.redeliveryInitialMs, "max_ms": options.redeliveryMaxMs,
                "max_attempts": options.maxAttempts,
            ],
            "log_format": "text",
            "log_level": options.logLevel,
        ]
        if let dayMs = options.followUpDayMs { config["followup_day_ms"] = dayMs }
        config["http"] = options.http
        if let wait = options.storeLockWaitMs { config["store_lock_wait_ms"] = wait }
        if let instance = options.instance { config["instance"] = instance }
        boundEndpoint = options.endpoint
        if let store = options.store {
            config["store"] = try JSONSerialization.jsonObject(with: Data(store.utf8))
        } else if let database = try DaemonStoreBackend.makeDatabase(force: options.postgresql) {
            postgresDatabase = database.name
            config["store"] = database.store
        }
        if let memory = options.deliveryMemory { config["delivery_memory"] = memory }
        if let memory = options.receiptMemory { config["receipt_memory"] = memory }
        if let retention = options.retention { config["retention"] = retention }
        if let policy = options.escalationPolicy {
            try Data(policy.utf8).write(to: URL(fileURLWithPath: escalationPolicyPath))
            config["escalation_policy_file"] = escalationPolicyPath
        }
        var limits: [String: Any] = [:]
        if let maxBodyBytes = options.maxBodyBytes { limits["max_body_bytes"] = maxBodyBytes }
        if let maxRecipients = options.maxRecipients { limits["max_recipients"] = maxRecipients }
        if !limits.isEmpty { config["limits"] = limits }
        if let rate = options.rateLimit {
            config["rate_limit"] = ["messages_per_second": rate.perSecond, "burst": rate.burst]
        }
        let data = try JSONSerialization.data(withJSONObject: config, options: [.prettyPrinted, .sortedKeys])
        try data.write(to: URL(fileURLWithPath: configPath))
        _ = FileManager.default.createFile(atPath: stderrPath, contents: nil)
    }

    /// A second instance of `first`'s broker (issue 12): the same configuration, directory, keys and store (a
    /// PostgreSQL database), its own instance name, endpoint, data directory, admin socket, ready file and log, in
    /// a folder of `first`'s directory. The first daemon's harness cleans it up with the folder.
    init(sibling first: DaemonProcess, instance: String, endpoint: String) throws {
        directory = first.directory + "/" + instance
        dataDirectory = directory + "/data"
        configPath = directory + "/referrald.json"
        directoryPath = first.directoryPath
        keysDirectory = first.keysDirectory
        readyPath = directory + "/ready.json"
        stderrPath = directory + "/referrald.stderr"
        adminEndpoint = "ipc://" + directory + "/admin.sock"
        executable = first.executable
        serverKeys = first.serverKeys
        boundEndpoint = endpoint
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        guard
            var config = try JSONSerialization.jsonObject(
                with: Data(contentsOf: URL(fileURLWithPath: first.configPath))) as? [String: Any]
        else { throw HarnessError("cannot read \(first.configPath)") }
        config["instance"] = instance
        config["data_directory"] = dataDirectory
        config["admin_endpoint"] = adminEndpoint
        let data = try JSONSerialization.data(withJSONObject: config, options: [.prettyPrinted, .sortedKeys])
        try data.write(to: URL(fileURLWithPath: configPath))
        _ = FileManager.default.createFile(atPath: stderrPath, contents: nil)
    }

    // MARK: - Keys and the directory

    /// Where the escalation policy file is written (rewrite it and restart to change the policy).
    var escalationPolicyPath: String { directory + "/escalation.json" }

    /// The path of the secret key file of `name` (a node id, or "broker").
    func secretKeyPath(_ name: String) -> String { "\(keysDirectory)/\(name).key" }

    /// The key pair of node `id`, generated (and its secret key file written, mode 0600) on first use.
    func keyPair(_ id: String) throws -> KeyPair {
        try lock.withLock {
            if let keys = nodeKeys[id] { return keys }
            let pair = try Curve.generateKeyPair()
            let keys = KeyPair(publicKey: pair.publicKey, secretKey: pair.secretKey)
            try Self.writeKeyFile(keys.secretKey.z85, to: secretKeyPath(id), mode: 0o600)
            nodeKeys[id] = keys
            return keys
        }
    }

    /// Gives node `id` a new key pair (its secret key file replaced); `writeDirectory` then registers the new
    /// public key. Returns the new pair.
    @discardableResult
    func rekey(_ id: String) throws -> KeyPair {
        try lock.withLock {
            let pair = try Curve.generateKeyPair()
            let keys = KeyPair(publicKey: pair.publicKey, secretKey: pair.secretKey)
            try? FileManager.default.removeItem(atPath: secretKeyPath(id))
            try Self.writeKeyFile(keys.secretKey.z85, to: secretKeyPath(id), mode: 0o600)
            nodeKeys[id] = keys
            return keys
        }
    }

    /// Writes the directory file (version 1) with these nodes and their public keys, replacing it atomically.
    func writeDirectory(_ nodes: [TestNode]) throws {
        let entries: [[String: Any]] = try nodes.map { node in
            [
                "id": node.id, "agency": node.agency, "kind": node.kind, "division": node.division,
                "name": "Made-up test agency \(node.id)", "public_key": try keyPair(node.id).publicKey.z85,
                "state": node.state,
            ]
        }
        try writeDirectory(object: ["version": 1, "nodes": entries])
    }

    /// Writes any JSON object as the directory file (for broken ones), replacing it atomically.
    func writeDirectory(object: [String: Any]) throws {
        let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
        let temporary = directoryPath + ".tmp"
        try data.write(to: URL(fileURLWithPath: temporary))
        guard rename(temporary, directoryPath) == 0 else { throw HarnessError("cannot replace \(directoryPath)") }
    }

    /// Writes a Z85 key file created with `mode` from the start (never readable by others in between).
    static func writeKeyFile(_ z85: String, to path: String, mode: mode_t) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL, mode)
        guard fd >= 0 else { throw HarnessError("cannot create \(path) (errno \(errno))") }
        defer { close(fd) }
        guard fchmod(fd, mode) == 0 else { throw HarnessError("cannot chmod \(path)") }
        let bytes = Array((z85 + "\n").utf8)
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        guard written == bytes.count else { throw HarnessError("cannot write \(path)") }
    }

    // MARK: - The process

    /// The endpoint the daemon listens on (from ready.json); valid after the first `start()`.
    var endpoint: String {
        lock.withLock { boundEndpoint ?? "tcp://127.0.0.1:1" }
    }

    /// The admin endpoint from ready.json (the configured one before the first start).
    var admin: String {
        lock.withLock { readyAdmin ?? adminEndpoint }
    }

    /// The HTTP listener's address from ready.json (host:port); nil before the first start or when it is off.
    var httpAddress: String? {
        guard let data = FileManager.default.contents(atPath: readyPath),
            let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        else { return nil }
        return object["http"] as? String
    }

    /// The address of the last `http listening` line of this run's log (the listener binds before the store opens,
    /// so it is known before the ready file).
    func loggedHTTPAddress(after offset: Int = 0) -> String? {
        let data = FileManager.default.contents(atPath: stderrPath) ?? Data()
        let text = String(decoding: data.dropFirst(offset), as: UTF8.self)
        guard let line = text.split(separator: "\n").last(where: { $0.contains("http listening") }),
            let range = line.range(of: "address=")
        else { return nil }
        return String(line[range.upperBound...].prefix { !$0.isWhitespace })
    }

    /// The log's size now (to read only what a later run writes).
    var logSize: Int { (FileManager.default.contents(atPath: stderrPath) ?? Data()).count }

    /// Launches the daemon without waiting for it to be ready.
    func launchOnly() throws { _ = try launch() }

    var pid: Int32? {
        lock.withLock { process.map(\.processIdentifier) }
    }

    var isRunning: Bool {
        lock.withLock { process?.isRunning ?? false }
    }

    /// Launches the daemon and waits (up to 20 s) for its ready file.
    func start() async throws {
        let process = try launch()
        try await waitUntilReady(process, timeout: .seconds(20))
    }

    /// Waits for the ready file of the running process (a standby writes it once it holds the lease).
    func waitUntilReady(timeout: Duration) async throws {
        guard let process = lock.withLock({ self.process }) else { throw HarnessError("referrald was not launched") }
        try await waitUntilReady(process, timeout: timeout)
    }

    private func waitUntilReady(_ process: Process, timeout: Duration) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let data = FileManager.default.contents(atPath: readyPath),
                let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
                let bound = object["endpoint"] as? String
            {
                guard object["pid"] as? Int == Int(process.processIdentifier) else {
                    throw HarnessError(
                        "ready.json names pid \(object["pid"] ?? "none"), not \(process.processIdentifier)")
                }
                lock.withLock {
                    boundEndpoint = bound.replacingOccurrences(of: "0.0.0.0", with: "127.0.0.1")
                    readyAdmin = object["admin"] as? String
                }
                return
            }
            if !process.isRunning {
                throw HarnessError(
                    "referrald exited (status \(process.terminationStatus)) before it was ready:\n\(stderrTail())")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw HarnessError("referrald did not write \(readyPath) within \(timeout):\n\(stderrTail())")
    }

    /// The exit status once the process has exited by itself (waits up to `timeout`).
    func exitStatus(timeout: Duration) async throws -> Int32 {
        guard let process = lock.withLock({ self.process }) else { throw HarnessError("referrald was not launched") }
        try await waitForExit(process, timeout: timeout)
        return process.terminationStatus
    }

    /// Launches the daemon and waits (up to 20 s) for it to exit by itself, as it must when it refuses to start;
    /// returns its exit status and what it wrote during this run. Throws if it got ready instead.
    func startExpectingRefusal() async throws -> (status: Int32, output: String) {
        let before = (FileManager.default.contents(atPath: stderrPath) ?? Data()).count
        let process = try launch()
        let deadline = ContinuousClock.now + .seconds(20)
        while process.isRunning {
            if FileManager.default.fileExists(atPath: readyPath) {
                throw HarnessError("referrald started (it wrote \(readyPath)) although it should have refused")
            }
            guard ContinuousClock.now < deadline else { throw HarnessError("referrald neither started nor exited") }
            try await Task.sleep(for: .milliseconds(20))
        }
        let data = FileManager.default.contents(atPath: stderrPath) ?? Data()
        let output = String(decoding: data.dropFirst(before), as: UTF8.self)
        return (process.terminationStatus, output)
    }

    /// Runs `referrald` with `arguments` as a process of its own (not this daemon: another command, or a second
    /// broker) and waits up to 20 s for it to exit; returns its exit status and output (stdout and stderr).
    func runOnce(_ arguments: [String]) async throws -> (status: Int32, output: String) {
        try await Tool.run(executable, arguments, seconds: 20)
    }

    /// Runs another program (e.g. `mount`) to completion; whether it exited 0.
    func command(_ executable: String, _ arguments: [String]) async throws -> Bool {
        guard FileManager.default.isExecutableFile(atPath: executable) else { return false }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        while process.isRunning { try await Task.sleep(for: .milliseconds(10)) }
        return process.terminationStatus == 0
    }

    /// Sends SIGHUP (reload the directory).
    func hangUp() throws {
        guard let pid, isRunning else { throw HarnessError("referrald is not running") }
        guard kill(pid, SIGHUP) == 0 else { throw HarnessError("cannot send SIGHUP to \(pid)") }
    }

    /// Starts the process (not waiting for it to be ready); removes an old ready file first.
    private func launch() throws -> Process {
        if isRunning { throw HarnessError("referrald is already running") }
        try? FileManager.default.removeItem(atPath: readyPath)
        let endpoint = lock.withLock { boundEndpoint } ?? "tcp://127.0.0.1:0"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = [
            "run", "--config", configPath, "--endpoint", endpoint, "--ready-file", readyPath,
            "--data-directory", dataDirectory, "--admin-endpoint", adminEndpoint, "--log-format", "text",
        ]
        // The test's settings, not whatever REFERRALD_* the environment holds.
        process.environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("REFERRALD_") }
        guard let output = FileHandle(forWritingAtPath: stderrPath) else {
            throw HarnessError("cannot open \(stderrPath)")
        }
        output.seekToEndOfFile()
        output.write(Data("---- referrald start (endpoint \(endpoint)) ----\n".utf8))
        process.standardOutput = output
        process.standardError = output
        process.standardInput = FileHandle.nullDevice
        try process.run()
        try? output.close()
        lock.withLock { self.process = process }
        return process
    }

    /// `kill -9` and wait until the process is gone.
    func kill9() async throws {
        guard let process = lock.withLock({ self.process }) else { return }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        try await waitForExit(process, timeout: .seconds(10))
    }

    /// Sends SIGTERM and waits up to `timeout` for the exit; returns the exit status (nil if it did not exit,
    /// or was killed by a signal).
    func terminate(timeout: Duration = .seconds(10)) async throws -> Int32? {
        guard let process = lock.withLock({ self.process }) else { return nil }
        guard process.isRunning else { return nil }
        kill(process.processIdentifier, SIGTERM)
        let deadline = ContinuousClock.now + timeout
        while process.isRunning && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        if process.isRunning { return nil }
        return process.terminationReason == .exit ? process.terminationStatus : nil
    }

    private func waitForExit(_ process: Process, timeout: Duration) async throws {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning {
            guard ContinuousClock.now < deadline else { throw HarnessError("referrald did not exit in time") }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    /// Kills whatever still runs (synchronously; for cleanup).
    func killNow() {
        guard let process = lock.withLock({ self.process }) else { return }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    /// The last lines the daemon wrote.
    func stderrTail(lines: Int = 60) -> String {
        guard let data = FileManager.default.contents(atPath: stderrPath) else { return "(no output)" }
        let text = String(decoding: data, as: UTF8.self)
        return text.split(separator: "\n", omittingEmptySubsequences: false).suffix(lines).joined(separator: "\n")
    }
}
