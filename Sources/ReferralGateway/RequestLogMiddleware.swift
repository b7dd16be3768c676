import Hummingbird
import Logging
import ReferralProtocol

/// One log line and the request metrics per request: method, route pattern, status, duration, node. Never a body,
/// a query string or a header (so never a token). Probes (`/health`, `/ready`, `/metrics`) log at debug, the API at
/// info. Added first, so it sees the final answer (problems included) of every other middleware.
struct RequestLogMiddleware<Context: RequestContext>: RouterMiddleware {
    let logger: Logger
    let metrics: GatewayMetrics

    static var probes: Set<String> { ["/health", "/ready", "/metrics"] }

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let start = ContinuousClock.now
        do {
            let response = try await next(request, context)
            record(request, context, status: response.status.code, since: start)
            return response
        } catch {
            record(request, context, status: (error as? any HTTPResponseError)?.status.code ?? 500, since: start)
            throw error
        }
    }

    func record(_ request: Request, _ context: Context, status: Int, since start: ContinuousClock.Instant) {
        let duration = ContinuousClock.now - start
        let route = GatewayMetrics.routeLabel(context.endpointPath)
        metrics.request(
            route: context.endpointPath, method: request.method.rawValue, status: status, duration: duration)
        var metadata: Logger.Metadata = [
            "method": "\(request.method.rawValue)", "route": "\(route)", "status": "\(status)",
            "duration_ms": "\(Self.milliseconds(duration))", "component": "http",
        ]
        // Only a well-formed node id (the client chose the path: nothing else of it is logged).
        if let node = context.parameters.get("node"), Identifiers.isValidNodeId(node) {
            metadata["node"] = "\(node)"
        }
        logger.log(level: Self.probes.contains(route) ? .debug : .info, "request", metadata: metadata)
    }

    /// Milliseconds with three decimals.
    static func milliseconds(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        let micros = seconds * 1_000_000 + attoseconds / 1_000_000_000_000
        let whole = micros / 1_000
        let fraction = String(micros % 1_000)
        return "\(whole).\(String(repeating: "0", count: 3 - fraction.count))\(fraction)"
    }
}
