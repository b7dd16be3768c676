import Hummingbird

/// `GET /metrics` and the send outcomes it counts.
extension GatewayServer {
    /// The exposition, with each node's session and each webhook's failures read now.
    func metricsAnswer() -> Response {
        let connected = nodes.mapValues { $0.node.isConnected }
        let failures = webhooks.mapValues { $0.state.withLock { $0.failuresInARow } }
        return Self.bytes(
            .ok, metrics.exposition(connected: connected, webhookFailures: failures),
            contentType: "text/plain; version=0.0.4; charset=utf-8")
    }

    /// The send handler, its answer counted by outcome (201 accepted, 202 queued, `rejected`, `conflicting-id`);
    /// a request refused before the send (bad JSON, an invalid message, an unknown node) is not a send.
    func countingSend(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let node = context.parameters.get("node") ?? ""
        do {
            let response = try await send(request, context)
            metrics.send(node: node, response.status == .created ? .accepted : .queued)
            return response
        } catch let problem as Problem {
            if problem.slug == "rejected" { metrics.send(node: node, .rejected) }
            if problem.slug == "conflicting-id" { metrics.send(node: node, .conflict) }
            throw problem
        }
    }
}
