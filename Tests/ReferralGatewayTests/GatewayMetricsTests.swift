import Foundation
import Hummingbird
import Synchronization
import Testing

@testable import ReferralGateway

/// `GET /metrics`: fixed label sets from the configuration, requests by route pattern, and a webhook called dead
/// only after failing without a break for its `dead_after_ms`.
@Suite("Gateway: metrics")
struct GatewayMetricsTests {
    static func configuration(deadAfterMs: Int = 60_000) -> GatewayConfiguration {
        var configuration = GatewayConfiguration()
        var webhook = GatewayConfiguration.Webhook(url: "http://127.0.0.1:1/hook", secretFile: "/dev/null")
        webhook.deadAfterMs = deadAfterMs
        configuration.nodes = [
            .init(id: "test-a", config: "a.json"), .init(id: "test-b", config: "b.json", webhook: webhook),
        ]
        return configuration
    }

    /// The exposition's samples: `name{labels}` → value.
    static func samples(_ bytes: [UInt8]) -> [String: Double] {
        var samples: [String: Double] = [:]
        for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else {
                continue
            }
            samples[String(line[..<space])] = value
        }
        return samples
    }

    @Test func everyNodesSeriesExistsAtZeroFromTheStart() {
        let metrics = GatewayMetrics(configuration: Self.configuration())
        let samples = Self.samples(metrics.exposition(connected: [:], webhookFailures: ["test-b": 0]))
        for node in ["test-a", "test-b"] {
            for outcome in ["accepted", "queued", "rejected", "conflict"] {
                #expect(samples[#"referral_gateway_sends_total{node="\#(node)",outcome="\#(outcome)"}"#] == 0)
            }
            #expect(samples[#"referral_gateway_node_connected{node="\#(node)"}"#] == 0)
            #expect(samples[#"referral_gateway_inbox_handed_out_total{node="\#(node)"}"#] == 0)
            #expect(samples[#"referral_gateway_inbox_completed_total{node="\#(node)"}"#] == 0)
        }
        // Only the node with a webhook has webhook series.
        #expect(samples[#"referral_gateway_webhook_failures_in_a_row{node="test-b"}"#] == 0)
        #expect(samples[#"referral_gateway_webhook_dead{node="test-b"}"#] == 0)
        #expect(
            samples[#"referral_gateway_webhook_deliveries_total{event="message",node="test-b",outcome="failed"}"#] == 0)
        #expect(!samples.keys.contains { $0.contains(#"webhook"#) && $0.contains(#"node="test-a""#) })
        #expect(samples["referral_gateway_ready"] == 0)
    }

    @Test func requestsAreCountedByRoutePatternMethodAndStatusClass() {
        let metrics = GatewayMetrics(configuration: Self.configuration())
        let route = "/v1/nodes/{node}/messages"
        metrics.request(route: route, method: "POST", status: 202, duration: .milliseconds(3))
        metrics.request(route: route, method: "POST", status: 201, duration: .milliseconds(40))
        metrics.request(route: route, method: "POST", status: 422, duration: .milliseconds(1))
        metrics.request(route: nil, method: "GET", status: 404, duration: .milliseconds(1))
        metrics.request(route: "NotFound", method: "BREW", status: 404, duration: .milliseconds(1))
        metrics.send(node: "test-a", .queued)
        metrics.send(node: "test-a", .accepted)
        metrics.send(node: "nobody", .accepted)  // not a configured node: no series for it
        metrics.handedOut(node: "test-a", count: 3)
        metrics.completed(node: "test-a")
        let samples = Self.samples(
            metrics.exposition(connected: ["test-a": true, "test-b": true], webhookFailures: [:]))
        let requests = "referral_gateway_http_requests_total"
        #expect(samples[#"\#(requests){method="POST",route="\#(route)",status_class="2xx"}"#] == 2)
        #expect(samples[#"\#(requests){method="POST",route="\#(route)",status_class="4xx"}"#] == 1)
        #expect(samples[#"\#(requests){method="GET",route="unmatched",status_class="4xx"}"#] == 1)
        #expect(samples[#"\#(requests){method="other",route="unmatched",status_class="4xx"}"#] == 1)
        #expect(samples[#"referral_gateway_http_request_duration_seconds_count{route="\#(route)"}"#] == 3)
        #expect(samples[#"referral_gateway_http_request_duration_seconds_bucket{route="\#(route)",le="0.005"}"#] == 2)
        #expect(samples[#"referral_gateway_sends_total{node="test-a",outcome="queued"}"#] == 1)
        #expect(samples[#"referral_gateway_sends_total{node="test-a",outcome="accepted"}"#] == 1)
        #expect(!samples.keys.contains { $0.contains("nobody") })
        #expect(samples[#"referral_gateway_inbox_handed_out_total{node="test-a"}"#] == 3)
        #expect(samples[#"referral_gateway_inbox_completed_total{node="test-a"}"#] == 1)
        #expect(samples[#"referral_gateway_node_connected{node="test-a"}"#] == 1)
        #expect(samples["referral_gateway_ready"] == 1)
    }

    @Test func aWebhookIsDeadAfterFailingWithoutABreakForDeadAfterMs() {
        let clock = TestClock()
        let metrics = GatewayMetrics(configuration: Self.configuration(deadAfterMs: 60_000)) { clock.now }
        func dead() -> Double? {
            Self.samples(metrics.exposition(connected: [:], webhookFailures: ["test-b": 1]))[
                #"referral_gateway_webhook_dead{node="test-b"}"#]
        }
        metrics.webhookAttempt(node: "test-b", event: "message", delivered: false)
        clock.advance(59_999)
        metrics.webhookAttempt(node: "test-b", event: "message", delivered: false)
        #expect(dead() == 0)
        clock.advance(1)
        #expect(dead() == 1)
        // A receipt delivered (2xx) ends the run of failures; a new failure starts the clock again.
        metrics.webhookAttempt(node: "test-b", event: "receipt", delivered: true)
        #expect(dead() == 0)
        metrics.webhookAttempt(node: "test-b", event: "message", delivered: false)
        clock.advance(30_000)
        #expect(dead() == 0)
        let samples = Self.samples(metrics.exposition(connected: [:], webhookFailures: ["test-b": 3]))
        #expect(samples[#"referral_gateway_webhook_failures_in_a_row{node="test-b"}"#] == 3)
        #expect(
            samples[#"referral_gateway_webhook_deliveries_total{event="message",node="test-b",outcome="failed"}"#] == 3)
        #expect(
            samples[#"referral_gateway_webhook_deliveries_total{event="receipt",node="test-b",outcome="delivered"}"#]
                == 1)
    }

    /// The request log's `duration_ms`: milliseconds with three decimals.
    @Test func durationsAreLoggedInMillisecondsWithThreeDecimals() {
        typealias Log = RequestLogMiddleware<BasicRequestContext>
        #expect(Log.milliseconds(.microseconds(1_500)) == "1.500")
        #expect(Log.milliseconds(.seconds(2)) == "2000.000")
        #expect(Log.milliseconds(.nanoseconds(999)) == "0.000")
        #expect(Log.milliseconds(.microseconds(30_000_042)) == "30000.042")
    }

    /// A wall clock a test moves by hand.
    final class TestClock: Sendable {
        private let milliseconds = Mutex<Int64>(1_000_000)
        var now: Int64 { milliseconds.withLock { $0 } }
        func advance(_ by: Int64) { milliseconds.withLock { $0 += by } }
    }

    @Test func theFailureClockStartsAtTheFirstFailureAndStopsAtA2xx() {
        var clock = WebhookFailureClock(deadAfterMs: 100)
        #expect(!clock.isDead(now: 1_000_000))
        clock.record(delivered: false, now: 10)
        clock.record(delivered: false, now: 50)  // still the same run: the clock keeps its start
        #expect(clock.failingSinceMs == 10)
        #expect(!clock.isDead(now: 109) && clock.isDead(now: 110))
        clock.record(delivered: true, now: 120)
        #expect(clock.failingSinceMs == nil && !clock.isDead(now: 10_000))
    }

    /// deploy/referral-gateway.example.json loads, and its webhook block is the documented one.
    @Test func theExampleConfigurationLoads() throws {
        let path = GatewayOpenAPIDocumentTests.documentURL.deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("deploy/referral-gateway.example.json").path
        let configuration = try GatewayConfiguration.load(path: path)
        let webhook = try #require(configuration.nodes.compactMap(\.webhook).first)
        #expect(webhook.url.hasPrefix("http"))
        #expect(webhook.deadAfterMs == 300_000)
        #expect(webhook.secretFile.hasPrefix("/"))
    }

    @Test func deadAfterMsIsCheckedAndNamed() {
        #expect(
            GatewayWebhookTests.error(#"{"url":"http://127.0.0.1/x","secret_file":"s","dead_after_ms":10}"#)?.field
                == "webhook.dead_after_ms")
        #expect(
            (try? GatewayWebhookTests.parse(#"{"url":"http://127.0.0.1/x","secret_file":"s","dead_after_ms":5000}"#))?
                .nodes[1].webhook?.deadAfterMs == 5_000)
    }
}
