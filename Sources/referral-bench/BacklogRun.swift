import Foundation
import ReferralClient

/// Fill, restart, drain (BENCHMARKS.md, "backlog"): `send-01` sends `messages` to `recv-01`, which is offline; once
/// all are ACCEPTED the sender goes offline too and the broker is restarted on its store; then the recipient comes
/// online and takes everything into its inbox while the sender stays away, so every receipt waits unconfirmed.
/// The broker's memory is read from /proc/PID/status at each step.
struct BacklogRun {
    var directory: String
    var executable: String
    var messages: Int
    var workload: Workload
    var batchSize: Int
    var window: Int
    var timeout: Int
    var curve: Bool

    private static let sender = Fleet.senderId(0)
    private static let recipient = Fleet.recipientId(0)
    private var nodesDirectory: String { (directory as NSString).appendingPathComponent("nodes") }

    func run() async throws -> BacklogResult {
        try await RunningDaemon.scope(progress: progress) { try await run($0) }
    }

    private func run(_ running: RunningDaemon) async throws -> BacklogResult {
        // 1. Fill, the recipient offline.
        var daemon = try await startDaemon(running)
        let fleet = try await Fleet.start(
            pairs: 1, broker: daemon.endpoint, keys: daemon.keys, directory: nodesDirectory, window: window,
            recipientsOnline: false)
        let memoryIdle = ProcessMemory.read(pid: daemon.pid)
        let fill: ThroughputResult
        do {
            fill = try await ThroughputRun(
                scenario: "backlog", fleet: fleet, workload: workload, messagesPerSender: messages,
                batchSize: batchSize, endToEnd: false, timeout: .seconds(timeout), adminEndpoint: daemon.adminEndpoint,
                brokerPid: daemon.pid
            ).run()
        } catch {
            await fleet.shutdown()
            throw error
        }
        let memoryAfterFill = ProcessMemory.read(pid: daemon.pid)
        progress(
            "filled: \(messages) accepted, \(BenchReport.rate(fill.acceptedPerSecond)) msg/s; broker "
                + (memoryAfterFill?.text ?? "memory n/a"))

        // 2. The sender goes offline; restart with the backlog in the store.
        await fleet.shutdown()
        let stopStart = Clocks.monotonicNanos()
        try await stop(daemon, running)
        let stopMillis = Double(Clocks.monotonicNanos() - stopStart) / 1e6
        daemon = try await startDaemon(running)
        let restarted = try await BrokerStatus.fetch(endpoint: daemon.adminEndpoint)
        let statusMillis = Clocks.wallMillis() - daemon.spawnedAtWallMillis
        let waiting = restarted.node(Self.recipient).map { $0.pending + $0.inFlight } ?? 0
        guard waiting == messages else {
            throw BenchError("after the restart \(waiting) deliveries wait for \(Self.recipient), not \(messages)")
        }
        try await Task.sleep(for: .seconds(1))
        let memoryAfterRestart = ProcessMemory.read(pid: daemon.pid)
        progress(
            "restarted: ready after \(Self.ms(daemon.readyAfterMillis)) ms, STATUS after \(Self.ms(statusMillis)) ms; "
                + "broker \(memoryAfterRestart?.text ?? "memory n/a")")

        // 3. The recipient drains everything; the sender stays offline.
        let drain = try await drainRecipient(daemon)
        // As after the restart: the broker settles first (its store thread gives memory back once idle for 1 s).
        try await Task.sleep(for: .seconds(2))
        let memoryAfterDrain = ProcessMemory.read(pid: daemon.pid)
        progress(
            "drained: \(messages) in \(String(format: "%.2f", drain.seconds)) s; broker "
                + (memoryAfterDrain?.text ?? "memory n/a"))
        try await stop(daemon, running)

        return BacklogResult(
            messages: messages, bodyBytes: workload.bodySize, fill: fill, memoryIdle: memoryIdle,
            memoryAfterFill: memoryAfterFill, stopMillis: stopMillis, restartReadyMillis: daemon.readyAfterMillis,
            restartStatusMillis: statusMillis, waitingAfterRestart: waiting, memoryAfterRestart: memoryAfterRestart,
            drainSeconds: drain.seconds, drainedPerSecond: Double(messages) / drain.seconds, drainIO: drain.io,
            receiptsWaiting: drain.receiptsWaiting, memoryAfterDrain: memoryAfterDrain)
    }

    /// Starts the recipient and waits until the broker has none of its deliveries left (each ACKed after the inbox
    /// commit), then until the broker has settled; checks that nothing went to the dead letters and that every
    /// receipt waits for the sender.
    private func drainRecipient(_ daemon: Daemon) async throws -> (seconds: Double, io: IOCounts, receiptsWaiting: Int)
    {
        var probe = try await IOProbe.start(adminEndpoint: daemon.adminEndpoint, brokerPid: daemon.pid)
        let start = Clocks.monotonicNanos()
        let node = try Fleet.node(
            Self.recipient, broker: daemon.endpoint, keys: daemon.keys, directory: nodesDirectory, window: window)
        node.start()
        let seconds: Double
        do {
            try await waitUntilDrained(daemon)
            seconds = Double(Clocks.monotonicNanos() - start) / 1e9
            probe.markEnd()
        } catch {
            await node.shutdown()
            throw error
        }
        let io = try await probe.finish(messages: messages, untilQuiet: false, timeout: .seconds(timeout))
        let status = try await BrokerStatus.fetch(endpoint: daemon.adminEndpoint)
        await node.shutdown()
        let deadLetters = status.node(Self.recipient)?.deadLetters ?? 0
        let receiptsWaiting = status.node(Self.sender)?.receiptsPending ?? 0
        guard deadLetters == 0, receiptsWaiting == messages else {
            throw BenchError(
                "after the drain: \(deadLetters) dead letters (expected 0), \(receiptsWaiting) receipts waiting for "
                    + "\(Self.sender) (expected \(messages))")
        }
        return (seconds, io, receiptsWaiting)
    }

    /// Polls STATUS every 50 ms until the recipient is connected with nothing pending or in flight; fails when the
    /// count of its deliveries left has not moved for `timeout` seconds.
    private func waitUntilDrained(_ daemon: Daemon) async throws {
        var left = messages
        var movedAt = ContinuousClock.now
        var reportedAt = ContinuousClock.now
        while true {
            try await Task.sleep(for: .milliseconds(50))
            let status = try await BrokerStatus.fetch(endpoint: daemon.adminEndpoint)
            guard let node = status.node(Self.recipient) else { throw BenchError("STATUS lists no \(Self.recipient)") }
            let now = ContinuousClock.now
            if node.connected && node.pending == 0 && node.inFlight == 0 { return }
            if node.pending + node.inFlight != left {
                left = node.pending + node.inFlight
                movedAt = now
            }
            if now - reportedAt >= .seconds(10) {
                progress("draining: \(messages - left) of \(messages) in the inbox")
                reportedAt = now
            }
            guard now - movedAt < .seconds(timeout) else {
                throw BenchError("the drain stalled: \(left) deliveries left for \(Self.recipient) for \(timeout) s")
            }
        }
    }

    private func startDaemon(_ running: RunningDaemon) async throws -> Daemon {
        let daemon = try await Daemon.start(
            executable: executable, directory: directory, nodes: Fleet.directory(pairs: 1), logLevel: "warning",
            curve: curve, readyTimeoutSeconds: timeout)
        running.daemon = daemon
        return daemon
    }

    private func stop(_ daemon: Daemon, _ running: RunningDaemon) async throws {
        let status = await daemon.stop()
        running.daemon = nil
        guard status == 0 else {
            throw BenchError(
                "referrald exited with \(status.map(String.init) ?? "SIGKILL"); its log ends with:\n\(daemon.logTail)")
        }
    }

    private static func ms(_ value: Double) -> String { String(format: "%.0f", value) }

    private func progress(_ line: String) {
        printError("referral-bench: backlog: " + line)
    }
}

extension BenchCommand {
    func runBacklog(in workspace: Workspace) async throws -> BacklogResult {
        printError(
            "referral-bench: backlog: \(messages) messages of \(bodySize) B to an offline recipient, restart, drain")
        let directory = try workspace.subdirectory("backlog")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        return try await BacklogRun(
            directory: directory, executable: referrald ?? Daemon.defaultExecutable(), messages: messages,
            workload: Workload(bodySize: bodySize), batchSize: batch, window: window, timeout: timeout, curve: curve
        ).run()
    }
}
