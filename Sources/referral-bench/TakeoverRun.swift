import Foundation
import ReferralClient
import ReferralProtocol

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The takeover scenario's figures: per round, SIGKILL of the active instance -> the standby's ready file, and
/// SIGKILL -> the first message sent after the kill ACCEPTED (by the standby, which took the lease).
struct TakeoverResult: Codable, Sendable {
    var rounds: Int
    var killToReadyMs: [Double]
    var killToAcceptedMs: [Double]

    func text() -> String {
        func row(_ name: String, _ samples: [Double]) -> [String] {
            let sorted = samples.sorted()
            let median =
                sorted.count % 2 == 1
                ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
            return [
                name, String(format: "%.0f", sorted.first ?? 0), String(format: "%.0f", median),
                String(format: "%.0f", sorted.last ?? 0),
                sorted.map { String(format: "%.0f", $0) }.joined(separator: " "),
            ]
        }
        return "takeover: \(rounds) round(s), two referrald on one PostgreSQL database, lease ttl 3000 / renew 1000 "
            + "/ standby poll 500 ms; the active one killed with SIGKILL\n"
            + Table(
                header: ["from SIGKILL to", "min ms", "median ms", "max ms", "each round, sorted (ms)"],
                rows: [
                    row("standby ready (ready file)", killToReadyMs),
                    row("first message ACCEPTED", killToAcceptedMs),
                ]
            ).render()
    }
}

/// Two `referrald` instances (A, B) on one fresh PostgreSQL database per round, each with its own endpoint, data
/// directory, admin socket and ready file; a sending node listing both endpoints (client reconnect defaults:
/// 1000 ms, doubling up to 32 s). A is started first and becomes active (ready file); B waits as the standby.
/// One message is sent and ACCEPTED through A, then A is killed with SIGKILL and, at once, a second message is
/// sent: the node's outbox resends it until an instance accepts it. The bench polls B's ready file every 5 ms.
struct TakeoverRun {
    let directory: String
    let executable: String
    let postgresURL: String
    let rounds: Int
    let timeout: Int
    let progress: (String) -> Void

    func run() async throws -> TakeoverResult {
        var result = TakeoverResult(rounds: rounds, killToReadyMs: [], killToAcceptedMs: [])
        for round in 1...rounds {
            let (ready, accepted) = try await runRound(round)
            progress(
                "referral-bench: takeover round \(round): kill -> ready \(String(format: "%.0f", ready)) ms, "
                    + "kill -> ACCEPTED \(String(format: "%.0f", accepted)) ms")
            result.killToReadyMs.append(ready)
            result.killToAcceptedMs.append(accepted)
        }
        return result
    }

    private func runRound(_ round: Int) async throws -> (ready: Double, accepted: Double) {
        let roundDirectory = (directory as NSString).appendingPathComponent("round-\(round)")
        defer { try? FileManager.default.removeItem(atPath: roundDirectory) }
        let database = try PostgresDatabase.create(url: postgresURL, scenario: "takeover")
        defer { database.drop() }
        let nodes = Fleet.directory(pairs: 1)
        var instances: [Instance] = []
        defer { for instance in instances { instance.kill(SIGKILL) } }
        for name in ["bench-a", "bench-b"] {
            let folder = (roundDirectory as NSString).appendingPathComponent(name)
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            let (config, _) = try DaemonConfig.write(
                executable: executable, folder: folder, nodes: nodes, logLevel: "warning", keys: nil,
                extra: [database.storeConfig(lease: true), ("instance", .string(name))])
            instances.append(Instance(folder: folder, config: config, endpoint: "tcp://127.0.0.1:\(try freePort())"))
        }
        let (active, standby) = (instances[0], instances[1])
        try active.spawn(executable: executable)
        try await active.waitUntilReady(timeout: .seconds(timeout))
        try standby.spawn(executable: executable)
        // The standby starts, connects and polls the lease; give it its first polls before the kill.
        try await Task.sleep(for: .seconds(2))
        guard standby.isRunning, !standby.isReady else {
            throw BenchError("the second instance is not a waiting standby:\n\(standby.logTail)")
        }

        let sender = try ReferralNode(
            configuration: NodeConfiguration(
                node: Fleet.senderId(0), endpoints: [active.endpoint, standby.endpoint],
                store: (roundDirectory as NSString).appendingPathComponent("sender.sqlite")))
        sender.start()
        try await Fleet.waitUntilConnected([sender])
        let workload = Workload(bodySize: 1_024)
        let recipient = Fleet.recipientId(0)
        let first = try await sender.send(workload.message(from: sender.configuration.node, to: recipient, number: 0))
        guard case .accepted = try await sender.outcome(of: first, timeout: .seconds(timeout)) else {
            throw BenchError("the first message was not accepted by the active instance")
        }

        active.kill(SIGKILL)
        let killed = Clocks.monotonicNanos()
        let second = try await sender.send(workload.message(from: sender.configuration.node, to: recipient, number: 1))
        let limit = Duration.seconds(timeout)
        async let readyAt: UInt64 = standby.waitUntilReady(timeout: limit)
        let outcome = try await sender.outcome(of: second, timeout: limit)
        let acceptedAt = Clocks.monotonicNanos()
        guard case .accepted = outcome else { throw BenchError("the message after the kill was refused: \(outcome)") }
        let ready = try await readyAt
        await sender.shutdown()
        standby.kill(SIGTERM)
        _ = standby.waitForExit(seconds: 10)
        return (Double(ready - killed) / 1e6, Double(acceptedAt - killed) / 1e6)
    }

    /// A TCP port free on 127.0.0.1 now (bound to port 0, read back, closed).
    private func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw BenchError("socket() failed") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(fd, pointer, length) == 0 && getsockname(fd, pointer, &length) == 0
            }
        }
        guard bound else { throw BenchError("cannot find a free port on 127.0.0.1") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

/// One `referrald run` of the takeover scenario, on a fixed endpoint (the nodes list both instances').
private final class Instance: @unchecked Sendable {
    let folder: String
    let config: String
    let endpoint: String
    var readyPath: String { (folder as NSString).appendingPathComponent("ready.json") }
    var logPath: String { (folder as NSString).appendingPathComponent("referrald.log") }
    private var process: Process?

    init(folder: String, config: String, endpoint: String) {
        self.folder = folder
        self.config = config
        self.endpoint = endpoint
    }

    func spawn(executable: String) throws {
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        guard let log = FileHandle(forWritingAtPath: logPath) else { throw BenchError("cannot write \(logPath)") }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = [
            "run", "--config", config, "--endpoint", endpoint, "--ready-file", readyPath, "--http-listen",
            "127.0.0.1:0",
        ]
        process.standardOutput = log
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        try process.run()
        Cleanup.shared.register(pid: process.processIdentifier)
        self.process = process
    }

    var isRunning: Bool { process?.isRunning ?? false }
    var isReady: Bool {
        FileManager.default.contents(atPath: readyPath).flatMap { ReadyFile(Array($0)) } != nil
    }
    var logTail: String { Daemon.tail(of: logPath) }

    /// Polls the ready file every 5 ms; returns the monotonic time at which it was first seen.
    func waitUntilReady(timeout: Duration) async throws -> UInt64 {
        let deadline = ContinuousClock.now + timeout
        while !isReady {
            guard isRunning else { throw BenchError("referrald exited before it was ready:\n\(logTail)") }
            guard ContinuousClock.now < deadline else {
                throw BenchError("referrald did not write \(readyPath) within \(timeout):\n\(logTail)")
            }
            try await Task.sleep(for: .milliseconds(5))
        }
        return Clocks.monotonicNanos()
    }

    func kill(_ signal: Int32) {
        guard let process, process.isRunning else { return }
        #if canImport(Glibc)
            _ = Glibc.kill(process.processIdentifier, signal)
        #else
            _ = Darwin.kill(process.processIdentifier, signal)
        #endif
        if signal == SIGKILL {
            process.waitUntilExit()
            Cleanup.shared.unregister(pid: process.processIdentifier)
        }
    }

    func waitForExit(seconds: Double) -> Bool {
        guard let process else { return true }
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning { kill(SIGKILL) }
        Cleanup.shared.unregister(pid: process.processIdentifier)
        return !process.isRunning
    }
}
