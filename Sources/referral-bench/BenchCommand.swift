import ArgumentParser
import Foundation
// swift-log comes with ReferralClient; used only to keep the nodes' info and warning logs (40 nodes connecting
// in plain text) off the terminal.
import Logging
import ReferralProtocol

enum ScenarioChoice: String, CaseIterable, ExpressibleByArgument {
    case accept1x1 = "accept-1x1"
    case e2e1x1 = "e2e-1x1"
    case e2e20x20 = "e2e-20x20"
    case latency
    /// Not part of `all`: it writes a large store first (see BENCHMARKS.md).
    case deadlines
    /// Not part of `all`: InboxDrainRun.swift.
    case inboxDrain = "inbox-drain"
    /// Not part of `all`: fill, restart, drain of a backlog for an offline node (see BENCHMARKS.md).
    case backlog
    /// Not part of `all`: steady load with short retention periods; the store file's size over time.
    case retention
    case dashboard
    /// Not part of `all`: GatewayScenarios.swift (needs referral-gateway built next to the bench).
    case gatewayThroughput = "gateway-throughput"
    case gatewayLatency = "gateway-latency"
    /// Not part of `all`: TakeoverRun.swift (needs --postgresql).
    case takeover
    case all

    var scenarios: [ScenarioChoice] {
        self == .all ? [.accept1x1, .e2e1x1, .e2e20x20, .latency] : [self]
    }
}

struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "referral-bench",
        abstract: "Benchmark a real referrald with real node outboxes and inboxes (see BENCHMARKS.md).",
        discussion: """
            Starts the referrald next to this executable (or --referrald) as a child process, once per \
            scenario, with a fresh data directory under --work-dir, and runs ReferralNode instances in this \
            process, each with its own SQLite store. Everything is removed afterwards (also after an error or \
            Ctrl-C).

            Scenarios (--scenario):
            accept-1x1: 1 sender, its recipient offline; time to the last ACCEPTED.
            e2e-1x1: 1 sender -> 1 recipient; accepted, in the inbox and ACKed, receipts back.
            e2e-20x20: 20 senders -> 20 recipients, sender i -> recipient i; --messages split evenly.
            latency: 1 -> 1 at --rate msg/s (open loop) for --duration s; p50/p99/max.
            all (default): the four above in this order, about 1-2 minutes.
            deadlines (not in all): --open-deadlines written into the broker's store before it starts (due in \
            30 days and later) plus --firing-deadlines falling due over --firing-spread s; start-up time, broker \
            memory, firing lag p50/p99 to the county bureau's inbox, and the catch-up after a restart with \
            --catch-up-deadlines overdue.
            inbox-drain (not in all): 1 -> 1 while the recipient's application takes and completes --drain-batch \
            messages at a time (as referralctl listen); rates into the inbox and into the application.
            backlog (not in all): --messages sent to an offline recipient, the sender offline too, a restart, then \
            the recipient drains them all; broker memory after each step, restart to ready, drain msg/s.
            retention (not in all): 1 -> 1 at --rate msg/s for --duration s, each message a case opened \
            (referral.request) or closed (referral.cancelled), with every retention period set to --retention-ms \
            and a purge every --purge-interval-ms; the store file's size every --sample-every s, and the bodies \
            purged (from the audit trail).
            dashboard (not in all): --open-cases open cases (one in 5 overdue, over Fujian's counties) written \
            into the broker's store before it starts; each dashboard page on the HTTP listener timed with curl.
            gateway-throughput (not in all): --messages valid referral.request messages (a case each) through two \
            referral-gateway processes, gateway A hosting the senders send-NN and gateway B the recipients recv-NN \
            (--gateway-pairs of them), over HTTP on loopback: --senders concurrent connections POST \
            /v1/nodes/{node}/messages?wait=--gateway-wait as fast as they are answered while --consumers per \
            recipient long-poll GET /v1/nodes/{node}/inbox?wait=1&max=100 and POST .../inbox/{handle}/complete for \
            each message; and, first, on a broker of its own, the same messages, senders and consumers on the \
            direct path (ReferralNodes in this process: send, nextMessages, complete). Sent/s and end-to-end msg/s \
            (first send -> last completion) of both, side by side.
            gateway-latency (not in all): the same two paths open loop at --gateway-rate msg/s (default 100) for \
            --duration s; latency from each message's scheduled send time until the send was answered, the broker \
            accepted it, it was in the recipient's inbox, it was handed out to the consumer, its completion was \
            answered (p50/p90/p99/max), and the gateways' added latency.
            The gateway scenarios start the referral-gateway next to this executable (or --gateway) and run the \
            direct path first; --body-size, --batch and --drain-batch do not apply to them.
            takeover (not in all; needs --postgresql): two referrald instances on one database (the lease at its \
            defaults: ttl 3000 ms, renew 1000 ms, standby poll 500 ms), a sender listing both endpoints; the \
            active one is killed with SIGKILL, and the bench times kill -> the standby's ready file and kill -> \
            the first message sent after the kill ACCEPTED; --takeover-rounds times, min/median/max.

            PostgreSQL (--postgresql URL, e.g. what scripts/pg-test-cluster url prints): the broker keeps its \
            store in a fresh database of that cluster per scenario (CREATE DATABASE with psql as the URL's role, \
            which needs CREATEDB; the store member written into the generated referrald.json; dropped \
            afterwards, its pg_stat_database counters printed to stderr first). Without it: SQLite in the \
            broker's data directory. accept-1x1, e2e-1x1, e2e-20x20, latency, inbox-drain, retention and \
            takeover honour it; the scenarios that write the store directly (deadlines, dashboard, backlog) and \
            the gateway scenarios stay on SQLite.
            """)

    @Option(
        help: """
            Scenario to run: accept-1x1, e2e-1x1, e2e-20x20, latency, all, deadlines, inbox-drain, backlog, \
            retention, dashboard, gateway-throughput, gateway-latency or takeover.
            """)
    var scenario: ScenarioChoice = .all

    @Option(help: "Messages per throughput scenario (in total; split evenly over the senders).")
    var messages = 50_000

    @Option(help: "Offered rate of the latency scenario, messages per second.")
    var rate: Double = 1_000

    @Option(help: "Duration of the latency (and gateway-latency) scenario in seconds.")
    var duration: Double = 10

    @Option(help: "deadlines: open deadlines in the store (due in 30 days and later) during the whole run.")
    var openDeadlines = 100_000

    @Option(help: "deadlines: deadlines falling due during the measurement (one escalation notice each).")
    var firingDeadlines = 3_000

    @Option(help: "deadlines: seconds over which the firing deadlines fall due, evenly.")
    var firingSpread: Double = 15

    @Option(
        help: "deadlines: seconds from writing the firing deadlines to the first one's due time (start-up fits in).")
    var firingLead: Double = 10

    @Option(
        help: "deadlines: deadlines written overdue while the broker is stopped, then fired after a restart (0: skip).")
    var catchUpDeadlines = 5_000

    @Flag(
        help: "deadlines: write the deadlines without their case rows (by default each has its case, as in the daemon)."
    )
    var noCases = false

    @Option(help: "retention: every retention period of the broker, in ms.")
    var retentionMs = 30_000

    @Option(help: "retention: the broker's purge_interval_ms.")
    var purgeIntervalMs = 5_000

    @Option(help: "retention: seconds between two samples of the store's size.")
    var sampleEvery: Double = 10

    @Option(help: "dashboard: open cases written into the broker's store before it starts (one in 5 overdue).")
    var openCases = 100_000

    @Option(help: "gateway-*: concurrent senders (HTTP connections to gateway A; send tasks on the direct path).")
    var senders = 8

    @Option(help: "gateway-*: consumers per receiving node (inbox long polls on gateway B; nextMessages tasks).")
    var consumers = 1

    @Option(help: "gateway-*: sending nodes on gateway A, and as many receiving nodes on gateway B (send-i -> recv-i).")
    var gatewayPairs = 1

    @Option(help: "gateway-latency: offered rate, messages per second (open loop) on each path.")
    var gatewayRate: Double = 100

    @Option(help: "gateway-*: the wait of each send (POST ?wait=S; outcome(of:) on the direct path), 0-30 s; 0: none.")
    var gatewayWait: Double = 0

    @Option(
        help: """
            Run the broker on PostgreSQL: a fresh database per scenario on the cluster at this URL \
            (postgresql://user@host:port/database; the role needs CREATEDB), dropped afterwards. Default: SQLite.
            """)
    var postgresql: String?

    @Option(help: "takeover: kills of the active instance measured (a fresh database and pair of instances each).")
    var takeoverRounds = 5

    @Option(help: "The referral-gateway executable (default: the one next to referral-bench).")
    var gateway: String?

    @Option(help: "Body size in bytes.")
    var bodySize = 1_024

    @Option(help: "Messages per send(batch:) call in the throughput scenarios.")
    var batch = 200

    @Option(help: "inbox-drain: messages the application takes and completes at a time (1: one fsync each).")
    var drainBatch = 512

    @Option(help: "Window of every node (unanswered SENDs and unacknowledged DELIVERs), 1-1024.")
    var window = 1_024

    @Option(help: "The referrald executable (default: the one next to referral-bench).")
    var referrald: String?

    @Option(help: "Where to create the temporary data directory.")
    var workDir = FileManager.default.temporaryDirectory.path

    @Option(help: "Refuse to run with less free space than this (GiB) on --work-dir's file system.")
    var minFreeGib: Double = 2

    @Option(help: "Longest wait for any one outcome, receipt or the broker to settle, in seconds.")
    var timeout = 120

    @Flag(
        help: """
            Run every scenario over CURVE: a key pair for the broker and each node (as referralctl keygen writes \
            them) and a broker that serves CURVE only. Without it the broker runs in its plaintext development mode.
            """)
    var curve = false

    @Flag(help: "Print the results as JSON (progress still goes to stderr).")
    var json = false

    func validate() throws {
        guard messages >= 1 else { throw ValidationError("--messages must be at least 1") }
        guard rate > 0, duration > 0 else { throw ValidationError("--rate and --duration must be positive") }
        guard (0...1_048_576).contains(bodySize) else { throw ValidationError("--body-size must be 0...1048576") }
        guard batch >= 1, drainBatch >= 1 else { throw ValidationError("--batch and --drain-batch must be at least 1") }
        guard (1...1_024).contains(window) else { throw ValidationError("--window must be 1...1024") }
        guard timeout >= 1 else { throw ValidationError("--timeout must be at least 1") }
        guard openDeadlines >= 0, firingDeadlines >= 1, catchUpDeadlines >= 0 else {
            throw ValidationError("--open-deadlines and --catch-up-deadlines must be >= 0, --firing-deadlines >= 1")
        }
        guard firingSpread > 0, firingLead >= 1 else {
            throw ValidationError("--firing-spread must be positive and --firing-lead at least 1 s")
        }
        guard senders >= 1, consumers >= 1, (1...99).contains(gatewayPairs) else {
            throw ValidationError("--senders and --consumers must be at least 1, --gateway-pairs 1...99")
        }
        guard gatewayRate > 0, (0...30).contains(gatewayWait) else {
            throw ValidationError("--gateway-rate must be positive and --gateway-wait 0...30")
        }
        guard takeoverRounds >= 1 else { throw ValidationError("--takeover-rounds must be at least 1") }
        if scenario == .takeover, postgresql == nil {
            throw ValidationError("--scenario takeover needs --postgresql URL (two instances share one database)")
        }
        if postgresql != nil,
            [.deadlines, .dashboard, .backlog, .gatewayThroughput, .gatewayLatency].contains(scenario)
        {
            throw ValidationError("--scenario \(scenario.rawValue) writes or reads SQLite directly: no --postgresql")
        }
        if scenario == .e2e20x20 || scenario == .all, messages < 20 {
            throw ValidationError("e2e-20x20 needs --messages of at least 20")
        }
    }

    func run() async throws {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = .error
            return handler
        }
        Cleanup.shared.installSignalHandlers()
        SyncCounter.install()
        var machine = MachineInfo.current()
        let workspace: Workspace
        do {
            workspace = try Workspace.create(in: workDir, minimumFreeBytes: UInt64(minFreeGib * Double(1 << 30)))
        } catch {
            progress("referral-bench: \(error)")
            throw ExitCode(2)
        }
        progress(
            "referral-bench: data in \(workspace.path) (removed at the end); load average \(machine.loadAverageBefore)")
        if !SyncCounter.isActive { progress("referral-bench: node fsync counting is not active (n/a in the results)") }

        var report = BenchReport(
            date: ISO8601DateFormatter().string(from: Date()), machine: machine,
            settings: .init(
                messages: messages, bodyBytes: bodySize, batchSize: batch, window: window, rate: rate,
                durationSeconds: duration, security: curve ? "curve" : "plaintext",
                store: postgresql == nil ? "sqlite" : "postgresql"))
        do {
            for choice in scenario.scenarios {
                switch choice {
                case .latency:
                    report.latency = try await runLatency(in: workspace)
                case .deadlines:
                    report.deadlines = try await runDeadlines(in: workspace)
                case .inboxDrain:
                    report.inboxDrain = try await runInboxDrain(in: workspace)
                case .backlog:
                    report.backlog = try await runBacklog(in: workspace)
                case .retention:
                    report.retention = try await runRetention(in: workspace)
                case .dashboard:
                    report.dashboard = try await runDashboard(in: workspace)
                case .takeover:
                    report.takeover = try await runTakeover(in: workspace)
                case .gatewayThroughput, .gatewayLatency:
                    report.gateway = try await runGatewayScenario(choice, in: workspace)
                default:
                    report.throughput.append(try await runThroughput(choice, in: workspace))
                }
            }
        } catch {
            progress("referral-bench: \(error)")
            Cleanup.shared.runAll()
            throw ExitCode(1)
        }
        workspace.remove()
        machine.loadAverageAfter = MachineInfo.loadAverage()
        report.machine = machine
        print(try json ? report.json() : report.text())
    }

    private func runThroughput(_ choice: ScenarioChoice, in workspace: Workspace) async throws -> ThroughputResult {
        let pairs = choice == .e2e20x20 ? 20 : 1
        let endToEnd = choice != .accept1x1
        progress("referral-bench: \(choice.rawValue): \(messages) messages of \(bodySize) B, \(pairs) sender(s)")
        return try await withBroker(choice.rawValue, pairs: pairs, recipientsOnline: endToEnd, in: workspace) {
            fleet, daemon in
            try await ThroughputRun(
                scenario: choice.rawValue, fleet: fleet, workload: Workload(bodySize: bodySize),
                messagesPerSender: messages / pairs, batchSize: batch, endToEnd: endToEnd, timeout: .seconds(timeout),
                adminEndpoint: daemon.adminEndpoint, brokerPid: daemon.pid
            ).run()
        }
    }

    private func runLatency(in workspace: Workspace) async throws -> LatencyResult {
        progress("referral-bench: latency: \(Int(rate)) msg/s for \(duration) s, 1 -> 1")
        return try await withBroker("latency", pairs: 1, recipientsOnline: true, in: workspace) { fleet, daemon in
            try await LatencyRun(
                fleet: fleet, workload: Workload(bodySize: bodySize), rate: rate, duration: duration,
                timeout: .seconds(timeout), adminEndpoint: daemon.adminEndpoint, brokerPid: daemon.pid
            ).run()
        }
    }

    private func runDeadlines(in workspace: Workspace) async throws -> DeadlineResult {
        progress(
            "referral-bench: deadlines: \(openDeadlines) open, \(firingDeadlines) falling due over \(firingSpread) s, "
                + "\(catchUpDeadlines) to catch up after a restart")
        let directory = try workspace.subdirectory("deadlines")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        return try await DeadlineRun(
            directory: directory, executable: referrald ?? Daemon.defaultExecutable(), openDeadlines: openDeadlines,
            openDueDays: 30, firingDeadlines: firingDeadlines, lead: firingLead, spread: firingSpread,
            catchUpDeadlines: catchUpDeadlines, withCases: !noCases, window: window, timeout: timeout, curve: curve
        ).run()
    }

    private func runRetention(in workspace: Workspace) async throws -> RetentionResult {
        progress(
            "referral-bench: retention: 1 -> 1 at \(Int(rate)) msg/s for \(duration) s, bodies of \(bodySize) B kept "
                + "\(retentionMs) ms, a purge every \(purgeIntervalMs) ms")
        let retention: JSONValue = .object([
            ("closed_case_body_ms", .integer(Int64(retentionMs))), ("caseless_body_ms", .integer(Int64(retentionMs))),
            ("dead_letter_body_ms", .integer(Int64(retentionMs))),
            ("purge_interval_ms", .integer(Int64(purgeIntervalMs))),
        ])
        return try await withBroker(
            "retention", pairs: 1, recipientsOnline: true, in: workspace, extraConfig: [("retention", retention)]
        ) { fleet, daemon in
            try await RetentionRun(
                fleet: fleet, bodySize: bodySize, rate: rate, duration: duration, sampleEvery: sampleEvery,
                retentionMs: retentionMs, purgeIntervalMs: purgeIntervalMs, daemon: daemon
            ).run()
        }
    }

    private func runTakeover(in workspace: Workspace) async throws -> TakeoverResult {
        progress("referral-bench: takeover: \(takeoverRounds) round(s), two instances on one PostgreSQL database")
        let directory = try workspace.subdirectory("takeover")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        return try await TakeoverRun(
            directory: directory, executable: referrald ?? Daemon.defaultExecutable(), postgresURL: postgresql ?? "",
            rounds: takeoverRounds, timeout: timeout, progress: progress
        ).run()
    }

    private func runDashboard(in workspace: Workspace) async throws -> DashboardResult {
        progress("referral-bench: dashboard: \(openCases) open cases, each dashboard page loaded 5 times")
        let directory = try workspace.subdirectory("dashboard")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        return try await DashboardRun(
            directory: directory, executable: referrald ?? Daemon.defaultExecutable(), openCases: openCases,
            timeout: timeout
        ).run()
    }

    /// A fresh broker and fleet for one scenario; both are stopped and the scenario's data removed afterwards.
    func withBroker<T: Sendable>(
        _ name: String, pairs: Int, recipientsOnline: Bool, in workspace: Workspace,
        extraConfig: [(key: String, value: JSONValue)] = [], _ body: (Fleet, Daemon) async throws -> T
    ) async throws -> T {
        let directory = try workspace.subdirectory(name)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let database = try postgresql.map { try PostgresDatabase.create(url: $0, scenario: name) }
        defer {
            if let database {
                progress("referral-bench: \(name): PostgreSQL database \(database.name): \(database.statistics())")
                database.drop()
            }
        }
        let daemon = try await Daemon.start(
            executable: referrald ?? Daemon.defaultExecutable(), directory: directory,
            nodes: Fleet.directory(pairs: pairs), logLevel: "warning", curve: curve,
            extraConfig: extraConfig + (database.map { [$0.storeConfig()] } ?? []))
        progress(
            "referral-bench: referrald pid \(daemon.pid) at \(daemon.endpoint), configuration format: "
                + "\(daemon.format.rawValue), \(curve ? "CURVE" : "plaintext"), store "
                + (database.map { "PostgreSQL \($0.name)" } ?? "SQLite"))
        let result: Result<T, any Error>
        do {
            let fleet = try await Fleet.start(
                pairs: pairs, broker: daemon.endpoint, keys: daemon.keys,
                directory: (directory as NSString).appendingPathComponent("nodes"),
                window: window, recipientsOnline: recipientsOnline)
            do {
                result = .success(try await body(fleet, daemon))
            } catch {
                result = .failure(error)
            }
            await fleet.shutdown()
        } catch {
            result = .failure(error)
        }
        if case .failure = result, !daemon.isRunning {
            progress("referral-bench: referrald is gone; its log ends with:\n\(daemon.logTail)")
        }
        let status = await daemon.stop()
        if status != 0 { progress("referral-bench: referrald exited with \(status.map(String.init) ?? "SIGKILL")") }
        return try result.get()
    }

    private func progress(_ line: String) {
        printError(line)
    }
}
