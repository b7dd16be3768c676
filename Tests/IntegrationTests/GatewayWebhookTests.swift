import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

extension DaemonSuite {
    /// Webhooks (issue 11): the real broker, two real gateways whose nodes have webhooks, and a receiver written in
    /// Python's standard library that checks each signature itself. Made-up data only.
    @Suite("Gateway: webhooks end to end")
    struct GatewayWebhookTests {
        static let secret = "made-up-webhook-secret-0123456789"

        /// The receiver: answers 500 to the first try of each message event and 204 to everything else, and writes
        /// a JSON line per request (path, event, delivery id, the status it answered, whether the signature and
        /// timestamp verified, the body) to `log`. It prints its port into `port`.
        static let receiver = #"""
            import hashlib, hmac, http.server, json, sys, time
            secret = open(sys.argv[1]).readline().strip().encode()
            log = open(sys.argv[2], "a")
            seen = set()
            class Hook(http.server.BaseHTTPRequestHandler):
                def do_POST(self):
                    body = self.rfile.read(int(self.headers["Content-Length"]))
                    stamp = self.headers.get("Referral-Webhook-Timestamp", "0")
                    mac = hmac.new(secret, stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
                    verified = hmac.compare_digest("v1=" + mac, self.headers.get("Referral-Webhook-Signature", "")) \
                        and abs(time.time() - int(stamp)) <= 300
                    event = self.headers.get("Referral-Webhook-Event")
                    delivery = self.headers.get("Referral-Webhook-Delivery")
                    status = 204
                    if event == "message" and delivery not in seen:
                        seen.add(delivery)
                        status = 500
                    log.write(json.dumps({"path": self.path, "event": event, "delivery": delivery, "status": status,
                                          "verified": verified, "body": json.loads(body)}) + "\n")
                    log.flush()
                    self.send_response(status)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                def log_message(self, *args):
                    pass
            server = http.server.HTTPServer(("127.0.0.1", 0), Hook)
            with open(sys.argv[3], "w") as f:
                f.write(str(server.server_address[1]))
            server.serve_forever()
            """#

        /// A new referral (its own case: a case takes one referral.request) from test-a to test-b.
        static func request(id: String, caseId: String) throws -> [UInt8] {
            let object: [String: Any] = [
                "id": id, "kind": "referral.request", "to": ["test-b"], "case": caseId, "priority": "urgent",
                "body": try GatewayTests.referralBody(),
            ]
            return Array(try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]))
        }

        /// The requests the receiver has logged so far.
        static func received(_ path: String) -> [[String: Any]] {
            let text = String(decoding: FileManager.default.contents(atPath: path) ?? Data(), as: UTF8.self)
            return text.split(separator: "\n").compactMap {
                (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any]
            }
        }

        /// A referral sent through A reaches B's webhook: refused once with 500, retried, then answered 204 and
        /// completed (B's inbox is not polled: 409). After B restarts, the next message reaches the webhook and
        /// the first is not POSTed again (the stream is in order, so a message not completed would come first).
        /// The receipt of B's delivery reaches A's webhook. Every signature verifies.
        @Test func messagesAndReceiptsReachTheWebhooksSigned() async throws {
            try await withDaemon { h in
                let secretPath = "\(h.directory)/webhook.secret"
                try Data("\(Self.secret)\n".utf8).write(to: URL(fileURLWithPath: secretPath))
                chmod(secretPath, 0o600)
                let script = "\(h.directory)/receiver.py"
                try Data(Self.receiver.utf8).write(to: URL(fileURLWithPath: script))
                let log = "\(h.directory)/receiver.log"
                let portFile = "\(h.directory)/receiver.port"
                let receiver = Process()
                receiver.executableURL = URL(fileURLWithPath: "/usr/bin/env")
                receiver.arguments = ["python3", script, secretPath, log, portFile]
                receiver.standardInput = FileHandle.nullDevice
                try receiver.run()
                h.adopt(receiver)
                var port = ""
                try await h.eventually("the receiver listens", timeout: .seconds(20)) {
                    port = String(decoding: FileManager.default.contents(atPath: portFile) ?? Data(), as: UTF8.self)
                    return !port.isEmpty
                }
                func webhook(_ path: String) -> [String: Any] {
                    [
                        "url": "http://127.0.0.1:\(port)/\(path)", "secret_file": secretPath,
                        "backoff_initial_ms": 200, "backoff_max_ms": 1_000, "timeout_ms": 5_000,
                    ]
                }
                let a = try await GatewayProcess.launch(
                    h, name: "gateway-a", nodes: ["test-a"], webhooks: ["test-a": webhook("a")])
                var b = try await GatewayProcess.launch(
                    h, name: "gateway-b", nodes: ["test-b"], webhooks: ["test-b": webhook("b")])
                for gateway in [a, b] {
                    try await h.eventually("\(gateway.url)/ready answers 200") {
                        try await GatewayHTTP.call("GET", gateway.url + "/ready").status == 200
                    }
                }

                let first = "test-a:wh-000001"
                let sent = try await GatewayHTTP.call(
                    "POST", "\(a.url)/v1/nodes/test-a/messages?wait=15",
                    body: try GatewayTests.request(id: first, body: try GatewayTests.referralBody()))
                h.expect(sent.status == 201, "send: \(sent)")

                let handle = "test-a:\(first)"
                try await h.eventually("B's webhook answers 204 to the message", timeout: .seconds(30)) {
                    Self.received(log).contains { $0["delivery"] as? String == handle && $0["status"] as? Int == 204 }
                }
                let tries = Self.received(log).filter { $0["delivery"] as? String == handle }
                h.expect(tries.map { $0["status"] as? Int } == [500, 204], "tries: \(tries)")
                h.expect(
                    tries.allSatisfy { $0["path"] as? String == "/b" && $0["verified"] as? Bool == true }, "\(tries)")
                let message = (tries.last?["body"] as? [String: Any])?["message"] as? [String: Any] ?? [:]
                h.expect(message["id"] as? String == first && message["from"] as? String == "test-a", "\(message)")
                h.expect(message["handle"] as? String == handle, "\(message)")
                h.expect((message["body"] as? [String: Any])?["child_ref"] as? String == "PX-0001", "\(message)")

                // B's webhook state shows the refusal; its inbox is not polled.
                let ready = try await GatewayHTTP.call("GET", b.url + "/ready")
                let state = (ready.json["webhooks"] as? [String: Any])?["test-b"] as? [String: Any] ?? [:]
                h.expect(state["last_error"] as? String == "answered 500", "ready: \(ready)")
                let poll = try await GatewayHTTP.call("GET", "\(b.url)/v1/nodes/test-b/inbox")
                h.expect(poll.status == 409, "poll: \(poll)")
                h.expect(poll.json["type"] as? String == "urn:referral-gateway:problem:webhook-configured", "\(poll)")

                // The receipt of B's delivery reaches A's webhook, signed.
                try await h.eventually("A's webhook gets the receipt", timeout: .seconds(30)) {
                    Self.received(log).contains {
                        let receipt = ($0["body"] as? [String: Any])?["receipt"] as? [String: Any] ?? [:]
                        return $0["path"] as? String == "/a" && $0["event"] as? String == "receipt"
                            && $0["verified"] as? Bool == true && receipt["message_id"] as? String == first
                            && receipt["recipient"] as? String == "test-b"
                            && receipt["outcome"] as? String == "delivered"
                    }
                }

                // Completed for good: after a restart of B, the next message comes and the first is not re-sent.
                h.expect(try await b.terminate() == 0, "gateway B did not stop cleanly: \(b.log)")
                b = try await GatewayProcess.launch(
                    h, name: "gateway-b2", nodes: ["test-b"], webhooks: ["test-b": webhook("b")])
                let second = "test-a:wh-000002"
                let again = try await GatewayHTTP.call(
                    "POST", "\(a.url)/v1/nodes/test-a/messages?wait=15",
                    body: try Self.request(id: second, caseId: "5d1c2b3a-4e5f-4a6b-8c7d-9e0f1a2b3c4d"))
                h.expect(again.status == 201, "send: \(again)")
                try await h.eventually("B's webhook answers 204 to the second message", timeout: .seconds(30)) {
                    Self.received(log).contains {
                        $0["delivery"] as? String == "test-a:\(second)" && $0["status"] as? Int == 204
                    }
                }
                let firstTries = Self.received(log).filter { $0["delivery"] as? String == handle }
                h.expect(firstTries.count == 2, "the completed message was POSTed again: \(firstTries)")
                h.expect(Self.received(log).allSatisfy { $0["verified"] as? Bool == true }, "a signature failed")

                h.expect(try await a.terminate() == 0, "gateway A did not stop cleanly: \(a.log)")
                h.expect(try await b.terminate() == 0, "gateway B did not stop cleanly: \(b.log)")
            }
        }
    }
}
