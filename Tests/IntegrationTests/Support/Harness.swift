import Foundation
import ReferralClient
import ReferralProtocol
import Testing

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Everything one daemon test uses: a temporary directory, the real `referrald` on it, the `ReferralNode`s and
/// child processes the test opened, and assertions that remember a failure so that the daemon's log tail is
/// printed at the end.
///
/// Use through `withDaemon`, which always shuts the nodes down, kills the daemon and every child process and
/// removes the directory, whatever happened.
final class Harness: @unchecked Sendable {
    let directory: String
    let daemon: DaemonProcess
    let testName: String

    private let lock = NSLock()
    private var nodes: [ReferralNode] = []
    private var children: [Process] = []
    private var failed = false

    static let directoryPrefix = "/tmp/rbit-"

    init(options: DaemonOptions, testName: String) throws {
        Self.removeLeftovers()
        // Short, so that the ipc:// admin socket path stays far below the 107-octet limit.
        directory = Self.directoryPrefix + String(UUID().uuidString.prefix(8)).lowercased()
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        // Who owns the directory: a later run cleans up after a test process that died before `cleanUp()`.
        try Data("\(getpid())".utf8).write(to: URL(fileURLWithPath: directory + "/owner.pid"))
        self.testName = testName
        do {
            daemon = try DaemonProcess(directory: directory, options: options)
        } catch {
            try? FileManager.default.removeItem(atPath: directory)
            throw error
        }
    }

    // MARK: - Nodes

    /// How long a test node waits for WELCOME. Shorter than the library's 3 s default, so that a broker that takes
    /// HELLO and never answers (one that is stopping) costs little.
    static let welcomeTimeoutMs = 2_000

    /// The configuration of a ReferralNode for `id`, with its own store in the test directory and fast reconnects.
    /// With CURVE: the broker's public key, the node's public key and its secret key file (mode 0600). `broker`:
    /// another endpoint than the daemon's (a proxy in front of it).
    func configuration(_ id: String, window: Int = 64, broker: String? = nil, endpoints: [String]? = nil) throws
        -> NodeConfiguration
    {
        NodeConfiguration(
            node: id, endpoints: endpoints ?? [broker ?? daemon.endpoint], store: "\(directory)/nodes/\(id).sqlite",
            window: window,
            reconnectInitialMs: 100, reconnectMaxMs: 500, welcomeTimeoutMs: Self.welcomeTimeoutMs,
            serverPublicKey: daemon.serverKeys.publicKey.z85, publicKey: try daemon.keyPair(id).publicKey.z85,
            secretKeyFile: daemon.secretKeyPath(id))
    }

    /// Opens (and by default starts) a ReferralNode; it is shut down at the end of the test.
    func node(
        _ id: String, window: Int = 64, broker: String? = nil, endpoints: [String]? = nil, start: Bool = true
    ) throws -> ReferralNode {
        let node = try ReferralNode(
            configuration: try configuration(id, window: window, broker: broker, endpoints: endpoints))
        lock.withLock { nodes.append(node) }
        if start { node.start() }
        return node
    }

    /// Shuts a node down now (e.g. to restart it later with the same store).
    func stop(_ node: ReferralNode) async {
        await node.shutdown()
        lock.withLock { nodes.removeAll { $0 === node } }
    }

    /// Writes a node configuration file (for `referralctl --config`) and returns its path.
    func configurationFile(_ id: String, window: Int = 64) throws -> String {
        let path = "\(directory)/\(id).json"
        let object: [String: Any] = [
            "node": id, "broker": daemon.endpoint, "store": "nodes/\(id).sqlite", "window": window,
            "reconnect_initial_ms": 100, "reconnect_max_ms": 500, "welcome_timeout_ms": Self.welcomeTimeoutMs,
            "server_public_key": daemon.serverKeys.publicKey.z85, "public_key": try daemon.keyPair(id).publicKey.z85,
            "secret_key_file": daemon.secretKeyPath(id),
        ]
        try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// A raw DEALER that authenticates with node `id`'s CURVE key pair (no HELLO sent yet).
    func raw(_ id: String) throws -> RawNode {
        let keys = try daemon.keyPair(id)
        return try RawNode(
            endpoint: daemon.endpoint,
            curve: RawNode.Curve(
                publicKey: keys.publicKey, secretKey: keys.secretKey, serverKey: daemon.serverKeys.publicKey))
    }

    // MARK: - Child processes

    /// Starts `referralctl` with these arguments, in `workingDirectory` (default: the test directory) with
    /// `environment` added; stdout and stderr go to files in the test directory.
    func launchReferralctl(
        _ arguments: [String], name: String, workingDirectory: String? = nil, environment: [String: String] = [:]
    ) throws -> (process: Process, stdout: String) {
        let executable = try Locations.executable("referralctl", variable: "REFERRALCTL_BIN")
        let stdoutPath = "\(directory)/\(name).stdout"
        let stderrPath = "\(directory)/\(name).stderr"
        _ = FileManager.default.createFile(atPath: stdoutPath, contents: nil)
        _ = FileManager.default.createFile(atPath: stderrPath, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: workingDirectory ?? directory)
        process.environment = ProcessInfo.processInfo.environment.filter {
            $0.key != "REFERRAL_ADMIN" && $0.key != "REFERRAL_BROKER_CONFIG"
        }.merging(environment) { $1 }
        let out = FileHandle(forWritingAtPath: stdoutPath)
        let err = FileHandle(forWritingAtPath: stderrPath)
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        try? out?.close()
        try? err?.close()
        lock.withLock { children.append(process) }
        return (process, stdoutPath)
    }

    /// Takes `process` among the children killed at the end of the test (a gateway the test started).
    func adopt(_ process: Process) {
        lock.withLock { children.append(process) }
    }

    /// Runs `referralctl` to completion (at most `timeout`); returns its exit status, stdout and stderr.
    func referralctl(
        _ arguments: [String], timeout: Duration = .seconds(20), workingDirectory: String? = nil,
        environment: [String: String] = [:]
    ) async throws -> (status: Int32, stdout: String, stderr: String) {
        let name = "referralctl-\(UUID().uuidString.prefix(6))"
        let (process, stdoutPath) = try launchReferralctl(
            arguments, name: name, workingDirectory: workingDirectory, environment: environment)
        let deadline = ContinuousClock.now + timeout
        while process.isRunning {
            guard ContinuousClock.now < deadline else {
                kill(process.processIdentifier, SIGKILL)
                throw HarnessError("referralctl \(arguments.joined(separator: " ")) did not finish within \(timeout)")
            }
            try await Task.sleep(for: .milliseconds(10))
        }
        let stdout = String(decoding: FileManager.default.contents(atPath: stdoutPath) ?? Data(), as: UTF8.self)
        let stderr = String(
            decoding: FileManager.default.contents(atPath: "\(directory)/\(name).stderr") ?? Data(), as: UTF8.self)
        return (process.terminationStatus, stdout, stderr)
    }

    // MARK: - Assertions

    /// Records an issue (and remembers that the test failed) unless `condition` holds.
    func expect(
        _ condition: Bool, _ message: @autoclosure () -> String, sourceLocation: SourceLocation = #_sourceLocation
    ) {
        guard !condition else { return }
        fail(message(), sourceLocation: sourceLocation)
    }

    /// Like `expect`, but ends the test by throwing.
    func require(
        _ condition: Bool, _ message: @autoclosure () -> String, sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        guard !condition else { return }
        let text = message()
        fail(text, sourceLocation: sourceLocation)
        throw HarnessError(text)
    }

    /// Unwraps, or records the failure and throws.
    func unwrap<T>(
        _ value: T?, _ message: @autoclosure () -> String, sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> T {
        guard let value else {
            let text = message()
            fail(text, sourceLocation: sourceLocation)
            throw HarnessError(text)
        }
        return value
    }

    func fail(_ message: String, sourceLocation: SourceLocation = #_sourceLocation) {
        lock.withLock { failed = true }
        Issue.record(Comment(rawValue: message), sourceLocation: sourceLocation)
    }

    /// Polls `condition` (every `interval`) until it holds; records a failure and throws after `timeout`.
    func eventually(
        _ what: @autoclosure () -> String, timeout: Duration = .seconds(20), interval: Duration = .milliseconds(50),
        sourceLocation: SourceLocation = #_sourceLocation, _ condition: () async throws -> Bool
    ) async throws {
        let deadline = ContinuousClock.now + timeout
        while true {
            if try await condition() { return }
            guard ContinuousClock.now < deadline else {
                let text = "timed out after \(timeout) waiting for: \(what())"
                fail(text, sourceLocation: sourceLocation)
                throw HarnessError(text)
            }
            try await Task.sleep(for: interval)
        }
    }

    // MARK: - End

    /// Kills the processes (daemon, referralctl) of test directories whose test process is gone (it was killed
    /// before it could clean up) and removes those directories. Only processes whose command line names such a
    /// directory are killed.
    static func removeLeftovers() {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: "/tmp") else { return }
        for name in names where ("/tmp/" + name).hasPrefix(directoryPrefix) {
            let directory = "/tmp/" + name
            guard
                let owner = FileManager.default.contents(atPath: directory + "/owner.pid")
                    .flatMap({ Int32(String(decoding: $0, as: UTF8.self)) }),
                kill(owner, 0) != 0, errno == ESRCH
            else { continue }
            let processes = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
            for pid in processes.compactMap(Int32.init) {
                guard let commandLine = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { continue }
                if String(decoding: commandLine, as: UTF8.self).contains(directory + "/") { kill(pid, SIGKILL) }
            }
            try? FileManager.default.removeItem(atPath: directory)
        }
    }

    var hasFailed: Bool { lock.withLock { failed } }

    func markFailed() { lock.withLock { failed = true } }

    /// Shuts the nodes down, kills the children and the daemon, removes the directory.
    func cleanUp() async {
        let (nodes, children) = lock.withLock { (self.nodes, self.children) }
        for child in children where child.isRunning {
            kill(child.processIdentifier, SIGCONT)
            kill(child.processIdentifier, SIGKILL)
            child.waitUntilExit()
        }
        // Nodes first, while the broker still answers their BYE; shutdown never waits for the broker.
        for node in nodes { await node.shutdown() }
        daemon.killNow()
        if let database = daemon.postgresDatabase { DaemonStoreBackend.dropDatabase(database) }
        if ProcessInfo.processInfo.environment["RBIT_KEEP"] != nil {
            print("\(testName): kept \(directory) (RBIT_KEEP is set)")
        } else {
            try? FileManager.default.removeItem(atPath: directory)
        }
    }
}

/// Runs `body` with a fresh daemon (started unless `start` is false) and cleans everything up afterwards. If the
/// test failed (a thrown error or a failed `Harness` assertion), prints the tail of the daemon's log.
func withDaemon(
    _ options: DaemonOptions = DaemonOptions(), start: Bool = true, test: String = #function,
    _ body: (Harness) async throws -> Void
) async throws {
    let harness = try Harness(options: options, testName: test)
    var thrown: (any Error)?
    do {
        if start { try await harness.daemon.start() }
        try await body(harness)
    } catch {
        thrown = error
        harness.markFailed()
    }
    if harness.hasFailed {
        print("---- \(test): last lines of referrald's log (\(harness.daemon.stderrPath)) ----")
        print(harness.daemon.stderrTail())
        print("---- end of referrald's log ----")
    }
    await harness.cleanUp()
    if let thrown { throw thrown }
}
