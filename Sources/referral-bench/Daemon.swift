import Foundation
import ReferralProtocol

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A real `referrald` child process with a configuration written into its own directory.
///
/// Started as `referrald run --config DIR/referrald.json --endpoint tcp://127.0.0.1:0 --ready-file DIR/ready.json`
/// (configuration written by `DaemonConfig`);
/// the bound endpoint and the admin endpoint are read from the ready file. stdout/stderr go to DIR/referrald.log
/// (its tail is shown when the daemon fails). The store is the broker's own (WAL, `synchronous=FULL` always).
final class Daemon: @unchecked Sendable {
    let directory: String
    let endpoint: String
    let adminEndpoint: String
    /// The CURVE keys of a `--curve` run (nil in plain text): what the nodes connect with.
    let keys: BenchKeys?
    let pid: Int32
    /// The configuration format this referrald took (see `DaemonConfig`).
    let format: DaemonConfig.Format
    /// Wall-clock time (ms since the epoch) just before the process was spawned.
    let spawnedAtWallMillis: Double
    /// Milliseconds from the spawn until the bench saw the ready file (polled every 5 ms): the start-up time.
    let readyAfterMillis: Double
    private let process: Process
    private let logPath: String

    /// The `referrald` next to this executable (`swift build` puts every product of a package in one folder).
    static func defaultExecutable() -> String {
        let me =
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return ((me as NSString).deletingLastPathComponent as NSString).appendingPathComponent("referrald")
    }

    /// With `curve`, the broker and every node get a key pair (`BenchKeys`) and the broker serves CURVE only.
    static func start(
        executable: String, directory: String, nodes: [DaemonConfig.Node], logLevel: String, curve: Bool,
        readyTimeoutSeconds: Int = 30
    ) async throws -> Daemon {
        guard FileManager.default.isExecutableFile(atPath: executable) else {
            throw BenchError(
                "no referrald executable at \(executable); build it with "
                    + "`swift build --scratch-path .build-bench -c release --product referrald` or pass --referrald PATH"
            )
        }
        let readyPath = (directory as NSString).appendingPathComponent("ready.json")
        let logPath = (directory as NSString).appendingPathComponent("referrald.log")
        let keys = curve ? try BenchKeys.prepare(folder: directory, nodes: nodes.map(\.id)) : nil
        let (configPath, format) = try DaemonConfig.write(
            executable: executable, folder: directory, nodes: nodes, logLevel: logLevel, keys: keys)
        // A ready file of an earlier daemon in this directory (a restart) must not be taken for this one's.
        try? FileManager.default.removeItem(atPath: readyPath)
        if !FileManager.default.fileExists(atPath: logPath) {
            _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        }
        guard let log = FileHandle(forWritingAtPath: logPath) else { throw BenchError("cannot write \(logPath)") }
        log.seekToEndOfFile()

        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = [
            "run", "--config", configPath, "--endpoint", "tcp://127.0.0.1:0", "--ready-file", readyPath,
            // Port 0: brokers of parallel runs never share the HTTP listener's port (ready.json says which).
            "--http-listen", "127.0.0.1:0",
        ]
        process.standardOutput = log
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        let spawnedWall = Clocks.wallMillis()
        let spawned = Clocks.monotonicNanos()
        try process.run()
        let pid = process.processIdentifier
        Cleanup.shared.register(pid: pid)

        let deadline = spawned + UInt64(readyTimeoutSeconds) * 1_000_000_000
        while true {
            if let bytes = FileManager.default.contents(atPath: readyPath), let ready = ReadyFile(Array(bytes)) {
                return Daemon(
                    directory: directory, endpoint: ready.endpoint, adminEndpoint: ready.admin, keys: keys, pid: pid,
                    process: process,
                    logPath: logPath, format: format, spawnedAtWallMillis: spawnedWall,
                    readyAfterMillis: Double(Clocks.monotonicNanos() - spawned) / 1e6)
            }
            if !process.isRunning {
                Cleanup.shared.unregister(pid: pid)
                throw BenchError(
                    "referrald exited with status \(process.terminationStatus) before it was ready:\n"
                        + tail(of: logPath))
            }
            if Clocks.monotonicNanos() > deadline {
                kill(pid, SIGKILL)
                throw BenchError(
                    "referrald did not write \(readyPath) within \(readyTimeoutSeconds) s:\n" + tail(of: logPath))
            }
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    private init(
        directory: String, endpoint: String, adminEndpoint: String, keys: BenchKeys?, pid: Int32, process: Process,
        logPath: String, format: DaemonConfig.Format, spawnedAtWallMillis: Double, readyAfterMillis: Double
    ) {
        self.keys = keys
        self.format = format
        self.spawnedAtWallMillis = spawnedAtWallMillis
        self.readyAfterMillis = readyAfterMillis
        self.directory = directory
        self.endpoint = endpoint
        self.adminEndpoint = adminEndpoint
        self.pid = pid
        self.process = process
        self.logPath = logPath
    }

    var isRunning: Bool { process.isRunning }

    /// The last lines of the daemon's log (for error messages).
    var logTail: String { Self.tail(of: logPath) }

    /// SIGTERM (graceful: the commit in progress finishes), SIGKILL after `grace`. Returns the exit status.
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

    static func tail(of path: String, lines: Int = 20) -> String {
        guard let data = FileManager.default.contents(atPath: path) else { return "(no log)" }
        let text = String(decoding: data, as: UTF8.self)
        return text.split(separator: "\n", omittingEmptySubsequences: false).suffix(lines).joined(separator: "\n")
    }
}

/// The daemon a scenario of several starts is running now: stopped (its log shown if it died) when the scenario fails.
final class RunningDaemon: @unchecked Sendable {
    var daemon: Daemon?

    /// Runs `body` with a fresh `RunningDaemon`; when it throws, stops whatever daemon it had left running.
    static func scope<T>(
        progress: (String) -> Void, _ body: (RunningDaemon) async throws -> T
    ) async throws -> T {
        let running = RunningDaemon()
        do {
            return try await body(running)
        } catch {
            if let daemon = running.daemon {
                if !daemon.isRunning { progress("referrald is gone; its log ends with:\n\(daemon.logTail)") }
                await daemon.stop()
            }
            throw error
        }
    }
}
