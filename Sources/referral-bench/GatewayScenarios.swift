import Foundation
import ReferralClient

/// gateway-throughput and gateway-latency: the same business messages through two `referral-gateway`s over HTTP
/// and through the bench's own `ReferralNode`s (the direct path), each on a fresh broker, one after the other.
struct GatewayResult: Codable, Sendable {
    var scenario: String
    var pairs: Int
    var senders: Int
    var consumersPerRecipient: Int
    /// The `wait` of each POST (and of `outcome(of:)` after each direct send), seconds; 0: not waited for.
    var waitSeconds: Double
    var averageBodyBytes: Int
    var offeredRate: Double?
    var direct: PathMeasurement
    var gateway: PathMeasurement

    func text() -> String {
        var out = "\(scenario): \(pairs) sending node(s) -> \(pairs) receiving node(s), \(direct.messages) "
        out += "referral.request messages (valid business bodies of \(averageBodyBytes) B on average, a case each), "
        out += "\(senders) concurrent senders, \(consumersPerRecipient) consumer(s) per receiving node, "
        out += "send wait \(BenchReport.number(waitSeconds)) s"
        if let offeredRate { out += ", open loop at \(Int(offeredRate)) msg/s" }
        out += "\n"
        let paths = [direct, gateway]
        if offeredRate == nil {
            out += Table(
                header: [
                    "path", "msgs", "sent/s", "e2e/s (completed)", "send call p50 ms", "p99 ms", "answers",
                    "handed out twice", "broker fsync/msg", "cores: broker+bench(+gateways)", "cores: others",
                ],
                rows: paths.map { path in
                    [
                        path.path, "\(path.messages)", BenchReport.rate(path.sendPerSecond),
                        BenchReport.rate(path.endToEndPerSecond), BenchReport.ms(path.sendCall.p50),
                        BenchReport.ms(path.sendCall.p99), Self.answersText(path.answers), "\(path.handedOutAgain)",
                        BenchReport.ratio(path.io.brokerTransactionsPerMessage), path.coresText, path.otherCoresText,
                    ]
                }
            ).render()
            out += "gateways / direct, end to end: "
            out += String(format: "%.2f", gateway.endToEndPerSecond / max(direct.endToEndPerSecond, 1e-9)) + "\n"
            out += Self.stageTable(paths, origin: "send start")
        } else {
            for path in paths {
                out += "\(path.path): achieved \(path.achievedRate.map(BenchReport.rate) ?? "-") msg/s; cores "
                out += "broker+bench\(path.gatewaysCPUSeconds == nil ? "" : "+gateways") \(path.coresText), others "
                out += "\(path.otherCoresText); broker \(BenchReport.ratio(path.io.brokerTransactionsPerMessage)) "
                out += "fsync/msg; answers \(Self.answersText(path.answers)); handed out twice \(path.handedOutAgain)\n"
            }
            out += Self.stageTable(paths, origin: "scheduled send")
            func added(_ keyPath: KeyPath<LatencySummary, Double>) -> String {
                String(format: "%+.1f", gateway.handedOut[keyPath: keyPath] - direct.handedOut[keyPath: keyPath])
            }
            out += "added by the gateways (handed out, gateways - direct): p50 \(added(\.p50)) ms, p90 "
            out += "\(added(\.p90)) ms, p99 \(added(\.p99)) ms, max \(added(\.max)) ms\n"
        }
        return out
    }

    static func answersText(_ answers: [String: Int]) -> String {
        answers.keys.sorted().map { "\($0): \(answers[$0]!)" }.joined(separator: ", ")
    }

    static func stageTable(_ paths: [PathMeasurement], origin: String) -> String {
        var rows: [[String]] = []
        for path in paths {
            let stages: [(String, LatencySummary)] = [
                ("send answered (POST 20x / send returned)", path.answered),
                ("accepted by the broker (accepted_at, ms)", path.accepted),
                ("in the recipient's inbox (received_at, ms)", path.inInbox),
                ("handed out to the application", path.handedOut),
                ("completion answered", path.completed),
            ]
            for (name, summary) in stages {
                rows.append([
                    path.path, name, BenchReport.ms(summary.p50), BenchReport.ms(summary.p90),
                    BenchReport.ms(summary.p99), BenchReport.ms(summary.max), "\(summary.count)",
                ])
            }
        }
        return Table(header: ["path", "ms from \(origin) until", "p50", "p90", "p99", "max", "samples"], rows: rows)
            .render()
    }
}

extension BenchCommand {
    func runGatewayScenario(_ choice: ScenarioChoice, in workspace: Workspace) async throws -> GatewayResult {
        // Before the direct path's run: a missing gateway should not cost that run first.
        let executable = gateway ?? GatewayProcess.defaultExecutable()
        guard FileManager.default.isExecutableFile(atPath: executable) else {
            throw BenchError(
                "no referral-gateway executable at \(executable); build it with `swift build --product "
                    + "referral-gateway` (same scratch path and configuration as referral-bench) or pass --gateway PATH"
            )
        }
        let latency = choice == .gatewayLatency
        let workload = BusinessWorkload(pairs: gatewayPairs)
        let total = latency ? max(1, Int((gatewayRate * duration).rounded())) : messages
        let rate: Double? = latency ? gatewayRate : nil
        printError(
            "referral-bench: \(choice.rawValue): \(total) messages, \(gatewayPairs) pair(s), \(senders) senders"
                + (latency ? ", \(Int(gatewayRate)) msg/s for \(duration) s" : "") + "; direct path first")
        let outgoing = (0..<total).map(workload.outgoing)
        let direct = try await withBroker(
            "\(choice.rawValue)-direct", pairs: gatewayPairs, recipientsOnline: true, in: workspace
        ) { fleet, daemon in
            try await PathRun(
                path: DirectPath(fleet: fleet, workload: workload, messages: outgoing), messages: total, rate: rate,
                senders: senders, consumersPerRecipient: consumers, waitSeconds: gatewayWait,
                timeout: .seconds(timeout), daemon: daemon
            ).run()
        }
        printError("referral-bench: \(choice.rawValue): direct path done; now through two gateways")
        let requests = (0..<total).map(workload.sendRequest)
        let gateway = try await withGateways("\(choice.rawValue)-gateways", pairs: gatewayPairs, in: workspace) {
            a, b, daemon in
            try await PathRun(
                path: GatewayPath(a: a, b: b, workload: workload, requests: requests), messages: total, rate: rate,
                senders: senders, consumersPerRecipient: consumers, waitSeconds: gatewayWait,
                timeout: .seconds(timeout), daemon: daemon, gatewayPids: [a.pid, b.pid]
            ).run()
        }
        let averageBody = outgoing.map(\.body.count).reduce(0, +) / max(outgoing.count, 1)
        return GatewayResult(
            scenario: choice.rawValue, pairs: gatewayPairs, senders: senders, consumersPerRecipient: consumers,
            waitSeconds: gatewayWait, averageBodyBytes: averageBody, offeredRate: rate, direct: direct,
            gateway: gateway)
    }

    /// A fresh broker with the pairs' nodes in its directory, gateway A hosting the senders and gateway B the
    /// recipients; all three stopped and the data removed afterwards. A gateway that does not exit 0 on SIGTERM,
    /// or dies, is reported with its log's tail.
    func withGateways<T: Sendable>(
        _ name: String, pairs: Int, in workspace: Workspace,
        _ body: (GatewayProcess, GatewayProcess, Daemon) async throws -> T
    ) async throws -> T {
        let directory = try workspace.subdirectory(name)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let daemon = try await Daemon.start(
            executable: referrald ?? Daemon.defaultExecutable(), directory: directory,
            nodes: Fleet.directory(pairs: pairs), logLevel: "warning", curve: curve)
        printError(
            "referral-bench: referrald pid \(daemon.pid) at \(daemon.endpoint), \(curve ? "CURVE" : "plaintext")")
        var gateways: [GatewayProcess] = []
        let result: Result<T, any Error>
        do {
            let executable = gateway ?? GatewayProcess.defaultExecutable()
            for (label, nodes) in [
                ("gateway-a", (0..<pairs).map(Fleet.senderId)), ("gateway-b", (0..<pairs).map(Fleet.recipientId)),
            ] {
                let process = try await GatewayProcess.start(
                    executable: executable, name: label, directory: directory, nodes: nodes, broker: daemon.endpoint,
                    keys: daemon.keys, window: window)
                gateways.append(process)
                printError(
                    "referral-bench: \(label) pid \(process.pid) at \(process.url), hosting \(nodes.joined(separator: ", "))"
                )
            }
            result = .success(try await body(gateways[0], gateways[1], daemon))
        } catch {
            result = .failure(error)
        }
        for gateway in gateways {
            if case .failure = result {
                printError(
                    "referral-bench: \(gateway.name) \(gateway.isRunning ? "is running" : "is gone"); its log ends with:\n"
                        + gateway.logTail)
            }
            let status = await gateway.stop()
            if status != 0 {
                printError(
                    "referral-bench: \(gateway.name) exited with \(status.map(String.init) ?? "SIGKILL") on SIGTERM; "
                        + "its log ends with:\n\(gateway.logTail)")
            }
        }
        if case .failure = result, !daemon.isRunning {
            printError("referral-bench: referrald is gone; its log ends with:\n\(daemon.logTail)")
        }
        let status = await daemon.stop()
        if status != 0 { printError("referral-bench: referrald exited with \(status.map(String.init) ?? "SIGKILL")") }
        return try result.get()
    }
}
