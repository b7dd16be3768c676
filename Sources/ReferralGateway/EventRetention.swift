import Logging
import ReferralClient

/// Keeps each hosted node's event log bounded: events recorded more than `age` ago are deleted, at start and then
/// every `every`. A webhook whose receiver failed for longer than that loses those events from its stream (each
/// message's receipts stay in `GET .../messages/{id}`). docs/GATEWAY.md "The events stream".
enum EventRetention {
    static let age: Duration = .seconds(30 * 24 * 3600)
    static let every: Duration = .seconds(3600)

    /// Runs until the task is cancelled or the node shuts down.
    static func run(_ host: GatewayNode, logger: Logger) async {
        while !Task.isCancelled {
            do {
                let pruned = try await host.node.pruneEvents(olderThan: age)
                if pruned > 0 {
                    logger.info("pruned old events", metadata: ["node": "\(host.id)", "events": "\(pruned)"])
                }
            } catch {
                if let error = error as? ReferralClientError, case .shutDown = error { return }
                logger.error("pruning events failed", metadata: ["node": "\(host.id)", "error": "\(error)"])
            }
            do {
                try await Task.sleep(for: every)
            } catch {
                return
            }
        }
    }
}
