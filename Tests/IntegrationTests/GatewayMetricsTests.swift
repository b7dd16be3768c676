import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

extension DaemonSuite {
    /// The gateway's operability (issue 11): `/metrics` counts what happened, a webhook nobody answers shows as
    /// failing and then dead, and the logs are one JSON object a line without any body. The real broker and two
    /// real gateways; made-up data only.
    @Suite("Gateway: metrics and logs")
    struct GatewayMetricsTests {
        /// A made-up phrase in the sent body: it must reach no log.
        static let marker = "Made-up marker QX81 for the log check"

        /// The samples of a Prometheus exposition: `name{labels}` → value.
        static func samples(_ text: String) -> [String: Double] {
            var samples: [String: Double] = [:]
            for line in text.split(separator: "\n") where !line.hasPrefix("#") {
                guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else {
                    continue
                }
                samples[String(line[..<space])] = value
            }
            return samples
        }

        static func metrics(_ gateway: GatewayProcess) async throws -> (text: String, samples: [String: Double]) {
            let answer = try await GatewayHTTP.call("GET", gateway.url + "/metrics")
            #expect(answer.status == 200 && answer.contentType?.hasPrefix("text/plain") == true, "\(answer.status)")
            return (answer.text, samples(answer.text))
        }

        /// A sends a referral to B (201), is sent a malformed one (400), is asked its status (a path with ids) and
        /// a path it does not have (404); A's /metrics counts them by route pattern only, and shows its node
        /// connected. B's inbox hands the referral out and B completes it: counted. A's webhook points where nothing
        /// listens: the receipt of B's delivery is refused at every try, so its failures in a row rise and, past its
        /// dead_after_ms of 1 s, it is dead. Both gateways log JSON lines, one per request, none with the body's
        /// content.
        @Test func metricsCountSendsAndErrorsAndShowADeadWebhook() async throws {
            try await withDaemon { h in
                let secretPath = "\(h.directory)/webhook.secret"
                try Data("made-up-webhook-secret-0123456789\n".utf8).write(to: URL(fileURLWithPath: secretPath))
                chmod(secretPath, 0o600)
                // Port 1 on loopback: nothing listens, every POST fails at once (connection refused).
                let a = try await GatewayProcess.launch(
                    h, name: "gateway-a", nodes: ["test-a"],
                    webhooks: [
                        "test-a": [
                            "url": "http://127.0.0.1:1/hook", "secret_file": secretPath, "backoff_initial_ms": 100,
                            "backoff_max_ms": 300, "dead_after_ms": 1_000,
                        ]
                    ])
                let b = try await GatewayProcess.launch(h, name: "gateway-b", nodes: ["test-b"])
                for gateway in [a, b] {
                    try await h.eventually("\(gateway.url)/ready answers 200") {
                        try await GatewayHTTP.call("GET", gateway.url + "/ready").status == 200
                    }
                }
                let route = "/v1/nodes/{node}/messages"
                let before = try await Self.metrics(a).samples
                h.expect(before[#"referral_gateway_sends_total{node="test-a",outcome="accepted"}"#] == 0, "\(before)")

                let id = "test-a:mx-000001"
                let sent = try await GatewayHTTP.call(
                    "POST", "\(a.url)/v1/nodes/test-a/messages?wait=15",
                    body: try GatewayTests.request(id: id, body: try GatewayTests.referralBody(summary: Self.marker)))
                h.expect(sent.status == 201, "send: \(sent)")
                let malformed = try await GatewayHTTP.call(
                    "POST", "\(a.url)/v1/nodes/test-a/messages", body: Array("{\"id\": \(Self.marker)".utf8))
                h.expect(malformed.status == 400, "malformed: \(malformed)")
                // A path with ids, and one the API does not have: counted under their patterns only.
                let status = try await GatewayHTTP.call("GET", "\(a.url)/v1/nodes/test-a/messages/\(id)")
                h.expect(status.status == 200, "status: \(status)")
                let nowhere = try await GatewayHTTP.call("GET", "\(a.url)/v1/nodes/test-a/nowhere-mx-000002")
                h.expect(nowhere.status == 404, "nowhere: \(nowhere)")

                let (text, samples) = try await Self.metrics(a)
                h.expect(samples[#"referral_gateway_sends_total{node="test-a",outcome="accepted"}"#] == 1, text)
                h.expect(samples[#"referral_gateway_sends_total{node="test-a",outcome="queued"}"#] == 0, text)
                h.expect(
                    samples[
                        #"referral_gateway_http_requests_total{method="POST",route="\#(route)",status_class="2xx"}"#]
                        == 1, text)
                h.expect(
                    samples[
                        #"referral_gateway_http_requests_total{method="POST",route="\#(route)",status_class="4xx"}"#]
                        == 1, text)
                h.expect(
                    samples[#"referral_gateway_http_request_duration_seconds_count{route="\#(route)"}"#] == 2, text)
                h.expect(
                    samples[
                        #"referral_gateway_http_requests_total{method="GET",route="/v1/nodes/{node}/messages/{id}",status_class="2xx"}"#
                    ] == 1, text)
                h.expect(
                    samples[#"referral_gateway_http_requests_total{method="GET",route="unmatched",status_class="4xx"}"#]
                        == 1, text)
                h.expect(samples[#"referral_gateway_node_connected{node="test-a"}"#] == 1, text)
                h.expect(samples["referral_gateway_ready"] == 1, text)
                // Route patterns only: no path with a node id or a message id.
                h.expect(!text.contains("/v1/nodes/test-a") && !text.contains("mx-00000"), text)

                // B's inbox: the referral is handed out once and completed.
                let inbox = "\(b.url)/v1/nodes/test-b/inbox"
                let taken = try await GatewayHTTP.call("GET", inbox + "?wait=20&max=10")
                let messages = taken.json["messages"] as? [[String: Any]] ?? []
                try h.require(taken.status == 200 && messages.count == 1, "B's inbox: \(taken)")
                let handle = try h.unwrap(messages[0]["handle"] as? String, "no handle: \(messages[0])")
                let done = try await GatewayHTTP.call("POST", "\(inbox)/\(handle)/complete")
                h.expect(done.status == 204, "complete: \(done)")
                let received = try await Self.metrics(b)
                h.expect(
                    received.samples[#"referral_gateway_inbox_handed_out_total{node="test-b"}"#] == 1, received.text)
                h.expect(
                    received.samples[#"referral_gateway_inbox_completed_total{node="test-b"}"#] == 1, received.text)
                h.expect(received.samples[#"referral_gateway_node_connected{node="test-b"}"#] == 1, received.text)
                h.expect(!received.text.contains("referral_gateway_webhook"), "B has no webhook: \(received.text)")

                // A's webhook: the status change (accepted) and the receipt of B's delivery are refused at every try;
                // in order, so the status event is retried and the receipt waits behind it. Failing, then dead.
                try await h.eventually("A's webhook is failing and then dead", timeout: .seconds(30)) {
                    let samples = try await Self.metrics(a).samples
                    return (samples[#"referral_gateway_webhook_failures_in_a_row{node="test-a"}"#] ?? 0) >= 3
                        && samples[#"referral_gateway_webhook_dead{node="test-a"}"#] == 1
                }
                let failing = try await Self.metrics(a)
                let failed = ["receipt", "status"].map { event in
                    failing.samples[
                        #"referral_gateway_webhook_deliveries_total{event="\#(event)",node="test-a",outcome="failed"}"#]
                        ?? 0
                }
                h.expect(failed.reduce(0, +) >= 3, failing.text)
                h.expect(!failing.text.contains(#"event="other""#), failing.text)
                for event in ["receipt", "status"] {
                    h.expect(
                        failing.samples[
                            #"referral_gateway_webhook_deliveries_total{event="\#(event)",node="test-a",outcome="delivered"}"#
                        ] == 0, failing.text)
                }

                h.expect(try await a.terminate() == 0, "gateway A did not stop cleanly: \(a.log)")
                h.expect(try await b.terminate() == 0, "gateway B did not stop cleanly: \(b.log)")

                // The logs: every line but the "listening on" one is a JSON object; one per request; no body.
                for gateway in [a, b] {
                    let log = gateway.log
                    h.expect(!log.contains("QX81") && !log.contains("PX-0001"), "a body reached the log: \(log)")
                    let lines = log.split(separator: "\n").filter { !$0.hasPrefix("referral-gateway: listening on ") }
                    h.expect(!lines.isEmpty, "no log lines")
                    for line in lines {
                        let object = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any]
                        h.expect(object?["level"] != nil && object?["msg"] != nil, "not a JSON log line: \(line)")
                    }
                }
                let requests = a.log.split(separator: "\n").compactMap {
                    (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any]
                }.filter { $0["msg"] as? String == "request" }
                h.expect(
                    requests.contains {
                        $0["route"] as? String == route && $0["status"] as? String == "201"
                            && $0["method"] as? String == "POST" && $0["node"] as? String == "test-a"
                            && $0["duration_ms"] != nil && $0["level"] as? String == "info"
                    }, "no request line for the send: \(requests)")
                h.expect(
                    requests.contains { $0["route"] as? String == route && $0["status"] as? String == "400" },
                    "no request line for the malformed send: \(requests)")
                let webhookFailures = a.log.split(separator: "\n").filter { $0.contains("webhook: POST failed") }
                h.expect(!webhookFailures.isEmpty, "A did not log its webhook's failures: \(a.log)")
            }
        }
    }
}
