import Foundation
import Logging
import ReferralClient
import ReferralProtocol
import ServiceLifecycle

/// The gateway process: opens every hosted node (its own store and keys), starts their connections, serves
/// HTTP until SIGTERM or SIGINT, then shuts the nodes down (each says BYE and closes its store).
public enum Gateway {
    /// Loads `referral-gateway.json` and every node configuration it names; throws `ConfigurationError` naming
    /// the file, entry and field.
    public static func load(path: String) throws -> (GatewayConfiguration, [(id: String, NodeConfiguration)]) {
        let configuration = try GatewayConfiguration.load(path: path)
        var nodes: [(id: String, NodeConfiguration)] = []
        for (index, hosted) in configuration.nodes.enumerated() {
            let node: NodeConfiguration
            do {
                node = try NodeConfiguration.load(path: hosted.config)
            } catch let error as ConfigurationError {
                // The node file's own error, and which entry of the gateway's file named it.
                var error = error
                error.setting = "nodes[\(index)].config"
                throw error
            }
            guard node.node == hosted.id else {
                throw ConfigurationError(
                    file: path, entry: "nodes[\(index)]", field: "id",
                    reason: "is '\(hosted.id)' but \(hosted.config) configures node '\(node.node)': they must agree")
            }
            nodes.append((hosted.id, node))
        }
        return (configuration, nodes)
    }

    /// Runs the gateway until a signal stops it. `onBound` is told the listening URL. With `configurationFile`,
    /// SIGHUP reads it again (`GatewayReloader`).
    public static func run(
        configuration: GatewayConfiguration, nodes configurations: [(id: String, NodeConfiguration)],
        configurationFile: String? = nil, logger: Logger, onBound: @escaping @Sendable (String) -> Void
    ) async throws {
        let live = LiveSettings(configuration, applications: try configuration.readApplications())
        let secrets = try configuration.readWebhookSecrets()
        var nodes: [GatewayNode] = []
        do {
            for (id, nodeConfiguration) in configurations {
                var nodeLogger = logger
                nodeLogger[metadataKey: "component"] = "node"
                let node = try ReferralNode(configuration: nodeConfiguration, logger: nodeLogger)
                nodes.append(GatewayNode(id: id, node: node, leaseMs: configuration.inboxLeaseMs))
            }
        } catch {
            for node in nodes { await node.node.shutdown() }
            throw error
        }
        for node in nodes { node.node.start() }
        var webhookLogger = logger
        webhookLogger[metadataKey: "component"] = "webhook"
        let metrics = GatewayMetrics(configuration: configuration)
        let webhooks = nodes.compactMap { node -> WebhookDelivery? in
            guard let hosted = configuration.nodes.first(where: { $0.id == node.id }), let webhook = hosted.webhook,
                let secret = secrets[node.id]
            else { return nil }
            return WebhookDelivery(
                host: node, webhook: webhook, secret: secret, logger: webhookLogger,
                onAttempt: { event, delivered in
                    metrics.webhookAttempt(node: node.id, event: event, delivered: delivered)
                })
        }
        let background =
            webhooks.map { webhook in Task { await webhook.run() } }
            + nodes.map { node in Task { await EventRetention.run(node, logger: logger) } }
        let server = GatewayServer(
            configuration: configuration, nodes: nodes, live: live, logger: logger, webhooks: webhooks,
            metrics: metrics)
        var reloads: Task<Void, Never>?
        if let configurationFile {
            reloads = await GatewayReloader(
                path: configurationFile, running: configuration, live: live, logger: logger
            ).handleHangups()
        }
        defer { reloads?.cancel() }
        do {
            let app = try server.makeApplication(onBound: onBound)
            let group = ServiceGroup(
                configuration: .init(
                    // Shut down in reverse order: the event streams end first, then the server drains.
                    services: [
                        .init(service: app, successTerminationBehavior: .gracefullyShutdownGroup),
                        .init(service: StreamStopper(signal: server.stopping), successTerminationBehavior: .ignore),
                    ],
                    gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
            try await group.run()
        } catch {
            await stop(background)
            for node in nodes { await node.node.shutdown() }
            throw error
        }
        await stop(background)
        for node in nodes { await node.node.shutdown() }
    }

    /// Stops the background tasks (webhook deliveries, event-log pruning) before their nodes shut down, so that
    /// none completes a message or writes a node's store afterwards.
    static func stop(_ tasks: [Task<Void, Never>]) async {
        for task in tasks { task.cancel() }
        for task in tasks { await task.value }
    }
}

/// Ends the open event streams when the gateway begins its graceful shutdown (before the server drains).
struct StreamStopper: Service {
    let signal: StopSignal

    func run() async throws {
        try? await gracefulShutdown()
        signal.stop()
    }
}
