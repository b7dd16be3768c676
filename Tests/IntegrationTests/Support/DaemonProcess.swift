import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Settings of the daemon under test (short timers so that failures and redeliveries happen quickly).
struct DaemonOptions: Sendable {
    /// Node ids of the directory; agencies alternate between education and health.
    var nodes = ["test-a", "test-b", "test-c", "test-d", "test-e", "test-f"]
    var heartbeatMs = 500
    var ackTimeoutMs = 1_500
    var redeliveryInitialMs = 100
    var redeliveryMaxMs = 1_000
    var maxAttempts = 10
    var logLevel = ProcessInfo.processInfo.environment["RBIT_LOG_LEVEL"] ?? "info"
}

/// The real `referrald` executable, run as a child process on a temporary data directory.
///
/// `start()` launches it on `tcp://127.0.0.1:0` the first time and on the first run's actual endpoint after a
/// `kill9()` or `terminate()`, so nodes reconnect by themselves. Its stdout and stderr go to `stderrPath`
/// (appended across runs).
final class DaemonProcess: @unchecked Sendable {
    let directory: String
    let dataDirectory: String
    let configPath: String
    let readyPath: String
    let stderrPath: String
    let adminEndpoint: String
    let executable: String

    private let lock = NSLock()
    private var process: Process?
    private var boundEndpoint: String?
    private var readyAdmin: String?

    init(directory: String, options: DaemonOptions) throws {
        self.directory = directory
        dataDirectory = directory + "/data"
        configPath = directory + "/referrald.json"
        readyPath = directory + "/ready.json"
        stderrPath = directory + "/referrald.stderr"
        adminEndpoint = "ipc://" + directory + "/admin.sock"
        executable = try Locations.executable("referrald", variable: "REFERRALD_BIN")
        let nodes: [[String: Any]] = options.nodes.enumerated().map { index, id in
            [
                "id": id, "agency": index % 2 == 0 ? "education" : "health",
                "name": "Made-up test agency \(id)",
            ]
        }
        let config: [String: Any] = [
            "data_directory": dataDirectory,
            "admin_endpoint": adminEndpoint,
            "heartbeat_ms": options.heartbeatMs,
            "ack_timeout_ms": options.ackTimeoutMs,
            "redelivery": [
                "initial_ms": options.redeliveryInitialMs, "max_ms": options.redeliveryMaxMs,
                "max_attempts": options.maxAttempts,
            ],
            "log_format": "text",
            "log_level": options.logLevel,
            "nodes": nodes,
        ]
        let data = try JSONSerialization.data(withJSONObject: config, options: [.prettyPrinted, .sortedKeys])
        try data.write(to: URL(fileURLWithPath: configPath))
        _ = FileManager.default.createFile(atPath: stderrPath, contents: nil)
    }

    /// The endpoint the daemon listens on (from ready.json); valid after the first `start()`.
    var endpoint: String {
        lock.withLock { boundEndpoint ?? "tcp://127.0.0.1:1" }
    }

    /// The admin endpoint from ready.json (the configured one before the first start).
    var admin: String {
        lock.withLock { readyAdmin ?? adminEndpoint }
    }

    var pid: Int32? {
        lock.withLock { process.map(\.processIdentifier) }
    }

    var isRunning: Bool {
        lock.withLock { process?.isRunning ?? false }
    }

    /// Launches the daemon and waits (up to 20 s) for its ready file.
    func start() async throws {
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

        let deadline = ContinuousClock.now + .seconds(20)
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
        throw HarnessError("referrald did not write \(readyPath) within 20 s:\n\(stderrTail())")
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
