import Foundation
import Prometheus
import Synchronization

/// The gateway's `GET /metrics` (docs/METRICS.md, "The gateway"): Prometheus text from a registry of its own.
/// Requests are counted by route pattern (never a raw path with ids), method and status class; everything per
/// node is labelled only with the node ids of the configuration, made at start, so every label set is fixed and
/// shows 0 before its first event.
public final class GatewayMetrics: Sendable {
    public let registry = PrometheusCollectorRegistry()
    /// The hosted node ids (the only `node` label values).
    let nodeIds: [String]
    private let webhookClocks: Mutex<[String: WebhookFailureClock]>
    private let now: @Sendable () -> Int64

    /// What became of a send (`POST /v1/nodes/{node}/messages`): 201, 202, 403/422 `rejected`, 409.
    public enum SendOutcome: String, CaseIterable, Sendable {
        case accepted, queued, rejected, conflict
    }

    static let webhookEvents = ["message", "receipt", "status"]
    static let webhookOutcomes = ["delivered", "failed"]
    static let methods: Set<String> = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]
    /// Long polls and sends wait up to 30 s: the buckets reach that far.
    static let durationBuckets: [Duration] = [
        .milliseconds(1), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
        .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(5),
        .seconds(10), .seconds(30),
    ]

    /// `now` is the wall clock in milliseconds (injected for tests).
    public init(
        configuration: GatewayConfiguration,
        now: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970 * 1000) }
    ) {
        nodeIds = configuration.nodes.map(\.id)
        self.now = now
        var clocks: [String: WebhookFailureClock] = [:]
        for node in configuration.nodes {
            if let webhook = node.webhook {
                clocks[node.id] = WebhookFailureClock(deadAfterMs: Int64(webhook.deadAfterMs))
            }
        }
        webhookClocks = Mutex(clocks)
        // Every fixed label set now, so that each series exists (at 0) from the first scrape.
        for node in nodeIds {
            _ = gauge(Name.connected, ["node": node])
            for outcome in SendOutcome.allCases {
                _ = counter(Name.sends, ["node": node, "outcome": outcome.rawValue])
            }
            _ = counter(Name.handedOut, ["node": node])
            _ = counter(Name.completed, ["node": node])
        }
        for node in clocks.keys.sorted() {
            for event in Self.webhookEvents {
                for outcome in Self.webhookOutcomes {
                    _ = counter(Name.webhookDeliveries, ["node": node, "event": event, "outcome": outcome])
                }
            }
            _ = gauge(Name.webhookFailures, ["node": node])
            _ = gauge(Name.webhookDead, ["node": node])
        }
        _ = gauge(Name.ready, [:])
    }

    // MARK: - Events

    /// One answered request: `route` is the matched pattern (`/v1/nodes/{node}/messages`), or nil when none matched.
    public func request(route: String?, method: String, status: Int, duration: Duration) {
        let route = Self.routeLabel(route)
        let method = Self.methods.contains(method) ? method : "other"
        counter(Name.requests, ["route": route, "method": method, "status_class": Self.statusClass(status)])
            .increment()
        registry.makeDurationHistogram(
            descriptor: Name.requestSeconds.descriptor, labels: [("route", route)], buckets: Self.durationBuckets
        ).record(duration)
    }

    public func send(node: String, _ outcome: SendOutcome) {
        guard nodeIds.contains(node) else { return }
        counter(Name.sends, ["node": node, "outcome": outcome.rawValue]).increment()
    }

    public func handedOut(node: String, count: Int) {
        guard nodeIds.contains(node), count > 0 else { return }
        counter(Name.handedOut, ["node": node]).increment(by: Int64(count))
    }

    public func completed(node: String) {
        guard nodeIds.contains(node) else { return }
        counter(Name.completed, ["node": node]).increment()
    }

    /// One webhook POST of `node`: delivered (2xx) or failed (any other answer, a transport error, a timeout).
    public func webhookAttempt(node: String, event: String, delivered: Bool) {
        let known = webhookClocks.withLock { clocks -> Bool in
            guard clocks[node] != nil else { return false }
            clocks[node]!.record(delivered: delivered, now: now())
            return true
        }
        guard known else { return }
        let event = Self.webhookEvents.contains(event) ? event : "other"
        counter(
            Name.webhookDeliveries, ["node": node, "event": event, "outcome": delivered ? "delivered" : "failed"]
        ).increment()
    }

    /// Whether `node`'s webhook is dead now (`WebhookFailureClock.isDead`); false for a node without a webhook.
    public func webhookIsDead(node: String) -> Bool {
        let time = now()
        return webhookClocks.withLock { $0[node]?.isDead(now: time) ?? false }
    }

    // MARK: - Scrape

    /// The exposition now: the gauges read from the nodes and webhooks, then the registry in text format 0.0.4.
    public func exposition(connected: [String: Bool], webhookFailures: [String: Int]) -> [UInt8] {
        for node in nodeIds { gauge(Name.connected, ["node": node]).set(to: connected[node] == true ? 1 : 0) }
        for (node, failures) in webhookFailures where nodeIds.contains(node) {
            gauge(Name.webhookFailures, ["node": node]).set(to: Double(failures))
            gauge(Name.webhookDead, ["node": node]).set(to: webhookIsDead(node: node) ? 1 : 0)
        }
        gauge(Name.ready, [:]).set(to: nodeIds.allSatisfy { connected[$0] == true } ? 1 : 0)
        return registry.emitToBuffer()
    }

    // MARK: - Names and labels

    /// The metric names (docs/METRICS.md lists them; the tests compare).
    enum Name: String, CaseIterable {
        case requests = "referral_gateway_http_requests_total"
        case requestSeconds = "referral_gateway_http_request_duration_seconds"
        case connected = "referral_gateway_node_connected"
        case sends = "referral_gateway_sends_total"
        case handedOut = "referral_gateway_inbox_handed_out_total"
        case completed = "referral_gateway_inbox_completed_total"
        case webhookDeliveries = "referral_gateway_webhook_deliveries_total"
        case webhookFailures = "referral_gateway_webhook_failures_in_a_row"
        case webhookDead = "referral_gateway_webhook_dead"
        case ready = "referral_gateway_ready"

        var help: String {
            switch self {
            case .requests: "HTTP requests answered, by route pattern, method and status class."
            case .requestSeconds: "Time from a request's head to its answer, by route pattern."
            case .connected: "1 while the node has a session with the broker, else 0."
            case .sends: "Sends answered, by outcome: accepted (201), queued (202), rejected (403/422), conflict (409)."
            case .handedOut: "Inbox messages handed out by the inbox poll (again after a lease ran out)."
            case .completed: "Inbox completions answered 204 (a repeated completion counts again)."
            case .webhookDeliveries: "Webhook POSTs, by event and outcome (delivered: a 2xx; failed: anything else)."
            case .webhookFailures: "Webhook POSTs failed since the last one that succeeded."
            case .webhookDead:
                "1 while the webhook has failed continuously for at least its dead_after_ms (no 2xx since), else 0."
            case .ready: "1 when every hosted node has a session with the broker (what /ready answers 200), else 0."
            }
        }

        /// The registry wants a name split from its unit; the whole name goes in `metricName`.
        var descriptor: MetricNameDescriptor {
            MetricNameDescriptor(metricName: rawValue, unitName: "", helpText: help)
        }
    }

    private func counter(_ name: Name, _ labels: [String: String]) -> Counter {
        registry.makeCounter(
            descriptor: name.descriptor, labels: labels.sorted { $0.key < $1.key }.map { ($0.key, $0.value) })
    }

    private func gauge(_ name: Name, _ labels: [String: String]) -> Gauge {
        registry.makeGauge(
            descriptor: name.descriptor, labels: labels.sorted { $0.key < $1.key }.map { ($0.key, $0.value) })
    }

    /// The route label: the pattern as registered, `unmatched` for a path no route has.
    static func routeLabel(_ route: String?) -> String {
        guard let route, route != "NotFound", route.hasPrefix("/") else { return "unmatched" }
        return route
    }

    static func statusClass(_ status: Int) -> String { (1...5).contains(status / 100) ? "\(status / 100)xx" : "other" }
}

/// How long a webhook has been failing without a break: the first failure after a success (or after start) starts
/// the clock, any 2xx stops it. "Dead" is failing continuously for at least `deadAfterMs`. Pure: the caller gives
/// the time.
public struct WebhookFailureClock: Sendable, Hashable {
    public let deadAfterMs: Int64
    /// When the current run of failures began (ms since the epoch); nil while the last POST succeeded.
    public private(set) var failingSinceMs: Int64?

    public init(deadAfterMs: Int64) { self.deadAfterMs = deadAfterMs }

    public mutating func record(delivered: Bool, now: Int64) {
        if delivered {
            failingSinceMs = nil
        } else if failingSinceMs == nil {
            failingSinceMs = now
        }
    }

    public func isDead(now: Int64) -> Bool {
        guard let since = failingSinceMs else { return false }
        return now - since >= deadAfterMs
    }
}
