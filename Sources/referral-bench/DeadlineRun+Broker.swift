import Foundation
import ReferralClient
import ReferralProtocol

/// The deadlines scenario's broker and its one node: starting referrald, asking its admin endpoint, connecting
/// the county bureau (over CURVE with `--curve`).
extension DeadlineRun {
    func startDaemon() async throws -> Daemon {
        let daemon = try await Daemon.start(
            executable: executable, directory: directory, nodes: DeadlineSeed.directory, logLevel: "warning",
            curve: curve, readyTimeoutSeconds: timeout)
        guard daemon.format == .directory else {
            await daemon.stop()
            throw BenchError("the deadlines scenario needs a referrald with the agency directory (issue 3 and later)")
        }
        return daemon
    }

    /// Milliseconds until an admin request is answered (it must succeed).
    func timeAdmin(_ daemon: Daemon, _ request: AdminRequest) async throws -> Double {
        let start = Clocks.monotonicNanos()
        let response = try await AdminConnection(endpoint: daemon.adminEndpoint).request(
            request, timeout: .seconds(timeout))
        let elapsed = Double(Clocks.monotonicNanos() - start) / 1e6
        if case .error(let error) = response {
            throw BenchError("admin \(request.command.rawValue): ERROR \(error.code): \(error.reason)")
        }
        return elapsed
    }

    /// Spawn -> the first answered admin STATUS, in ms.
    func statusAfterSpawn(_ daemon: Daemon) async throws -> Double {
        _ = try await BrokerStatus.fetch(endpoint: daemon.adminEndpoint)
        return Clocks.wallMillis() - daemon.spawnedAtWallMillis
    }

    func connectBureau(to daemon: Daemon) async throws -> ReferralNode {
        try FileManager.default.createDirectory(
            atPath: (nodeStore as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        let node = try ReferralNode(
            configuration: NodeConfiguration(
                node: DeadlineSeed.bureau, broker: daemon.endpoint, store: nodeStore, window: window,
                reconnectInitialMs: 100, reconnectMaxMs: 1_000, curve: try daemon.keys?.client(DeadlineSeed.bureau)))
        node.start()
        let deadline = ContinuousClock.now + .seconds(20)
        while !node.isConnected {
            guard ContinuousClock.now < deadline else {
                await node.shutdown()
                throw BenchError(
                    "\(DeadlineSeed.bureau) did not connect within 20 s: \(node.connectionProblem ?? "no reason known")"
                )
            }
            try await Task.sleep(for: .milliseconds(5))
        }
        return node
    }
}
