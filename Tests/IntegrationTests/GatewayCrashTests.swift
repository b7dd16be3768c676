import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

extension DaemonSuite {
    /// kill -9 of a gateway (issue 11): between its outbox commit and the broker's ACCEPTED, and between its inbox
    /// commit (or a receipt's) and the webhook's 2xx. After the restart nothing is lost, the receiver sees each
    /// message id at least once, and nothing comes again after the receiver answered it 2xx. The real broker, real
    /// `referral-gateway` processes, a Python receiver. Made-up data only.
    @Suite("Gateway: kill -9 recovery")
    struct GatewayCrashTests {
        static func send(_ id: String, caseNumber: Int) throws -> [UInt8] {
            let object: [String: Any] = [
                "id": id, "kind": "referral.request", "to": ["test-b"],
                "case": String(format: "7c0d4e2a-1b3c-4d5e-8f6a-%012d", caseNumber), "priority": "urgent",
                "body": try GatewayTests.referralBody(),
            ]
            return Array(try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]))
        }

        static func ready(_ h: Harness, _ gateways: GatewayProcess...) async throws {
            for gateway in gateways {
                try await h.eventually("\(gateway.url)/ready answers 200", timeout: .seconds(30)) {
                    try await GatewayHTTP.call("GET", gateway.url + "/ready").status == 200
                }
            }
        }

        /// The broker is down: sends are committed to A's outbox (202), then A is killed. With the broker and A
        /// started again, each message is accepted once (a seq of its own, not a duplicate) and B's webhook
        /// receives each once.
        @Test func queuedSendsSurviveAKillAndAreAcceptedOnce() async throws {
            try await withDaemon { h in
                let receiver = try await WebhookReceiver.start(h, mode: "ok")
                var a = try await GatewayProcess.launch(h, name: "gateway-a", nodes: ["test-a"])
                let b = try await GatewayProcess.launch(
                    h, name: "gateway-b", nodes: ["test-b"], webhooks: ["test-b": receiver.webhook("b")])
                try await Self.ready(h, a, b)

                _ = try await h.daemon.terminate()
                let ids = (1...4).map { "test-a:kill-q-\($0)" }
                for (index, id) in ids.enumerated() {
                    let sent = try await GatewayHTTP.call(
                        "POST", "\(a.url)/v1/nodes/test-a/messages", body: try Self.send(id, caseNumber: index + 1))
                    h.expect(sent.status == 202, "send \(id) with the broker down: \(sent)")
                }
                try await a.kill9()

                try await h.daemon.start()
                a = try await GatewayProcess.launch(h, name: "gateway-a2", nodes: ["test-a"])
                var seqs: [Int] = []
                for id in ids {
                    var status = GatewayHTTP.Answer(status: 0, body: [])
                    try await h.eventually("\(id) is accepted after the restart", timeout: .seconds(30)) {
                        status = try await GatewayHTTP.call("GET", "\(a.url)/v1/nodes/test-a/messages/\(id)")
                        return status.json["status"] as? String == "accepted"
                    }
                    h.expect(status.json["duplicate"] as? Bool == false, "\(id) was accepted before: \(status)")
                    seqs.append(status.json["seq"] as? Int ?? -1)
                }
                h.expect(Set(seqs).count == ids.count && !seqs.contains(-1), "one broker message per id: \(seqs)")

                try await h.eventually("B's webhook has every message", timeout: .seconds(30)) {
                    let delivered = Set(receiver.requests.compactMap { $0["delivery"] as? String })
                    return ids.allSatisfy { delivered.contains("test-a:\($0)") }
                }
                // A's event log says each was accepted once.
                let events = try await GatewayHTTP.call("GET", "\(a.url)/v1/nodes/test-a/events?wait=0")
                for id in ids {
                    let accepted = events.text.components(separatedBy: "\"type\":\"accepted\",\"message_id\":\"\(id)\"")
                    h.expect(accepted.count == 2, "\(id): accepted events in A's log: \(events.text)")
                }
                let messages = receiver.requests.filter { $0["event"] as? String == "message" }
                for id in ids {
                    let copies = messages.filter { $0["delivery"] as? String == "test-a:\(id)" }
                    h.expect(copies.count == 1, "\(id) reached B's receiver \(copies.count) times")
                }
                h.expect(try await a.terminate() == 0, "gateway A did not stop cleanly: \(a.log)")
                h.expect(try await b.terminate() == 0, "gateway B did not stop cleanly: \(b.log)")
            }
        }

        /// The broker is frozen (SIGSTOP) while A sends: the SENDs may be on their way or in the broker's socket
        /// when A is killed, and the broker accepts them only after (SIGCONT), answering a connection that is gone.
        /// A started again sends them again with the same ids: the broker keeps one message per id (each
        /// accepted, seqs distinct), and B's webhook receives each exactly once.
        @Test func sendsInFlightWhenTheGatewayDiesAreAcceptedOnce() async throws {
            try await withDaemon { h in
                let receiver = try await WebhookReceiver.start(h, mode: "ok")
                var a = try await GatewayProcess.launch(h, name: "gateway-a", nodes: ["test-a"])
                let b = try await GatewayProcess.launch(
                    h, name: "gateway-b", nodes: ["test-b"], webhooks: ["test-b": receiver.webhook("b")])
                try await Self.ready(h, a, b)

                let broker = try h.unwrap(h.daemon.pid, "no broker pid")
                try h.require(kill(broker, SIGSTOP) == 0, "cannot SIGSTOP the broker")
                let ids = (1...3).map { "test-a:kill-f-\($0)" }
                for (index, id) in ids.enumerated() {
                    let sent = try await GatewayHTTP.call(
                        "POST", "\(a.url)/v1/nodes/test-a/messages", body: try Self.send(id, caseNumber: 200 + index))
                    h.expect(sent.status == 202, "send \(id) to a frozen broker: \(sent)")
                }
                try await Task.sleep(for: .milliseconds(500))
                try await a.kill9()
                try h.require(kill(broker, SIGCONT) == 0, "cannot SIGCONT the broker")

                a = try await GatewayProcess.launch(h, name: "gateway-a2", nodes: ["test-a"])
                var seqs: [Int] = []
                for id in ids {
                    var status = GatewayHTTP.Answer(status: 0, body: [])
                    try await h.eventually("\(id) is accepted after the restart", timeout: .seconds(30)) {
                        status = try await GatewayHTTP.call("GET", "\(a.url)/v1/nodes/test-a/messages/\(id)")
                        return status.json["status"] as? String == "accepted"
                    }
                    seqs.append(status.json["seq"] as? Int ?? -1)
                }
                h.expect(Set(seqs).count == ids.count && !seqs.contains(-1), "one broker message per id: \(seqs)")
                try await h.eventually("B's webhook has every message", timeout: .seconds(30)) {
                    let delivered = Set(receiver.requests.compactMap { $0["delivery"] as? String })
                    return ids.allSatisfy { delivered.contains("test-a:\($0)") }
                }
                // Time for a second copy to arrive if the broker had made one.
                try await Task.sleep(for: .seconds(2))
                let messages = receiver.requests.filter { $0["event"] as? String == "message" }
                for id in ids {
                    let copies = messages.filter { $0["delivery"] as? String == "test-a:\(id)" }
                    h.expect(copies.count == 1, "\(id) reached B's receiver \(copies.count) times")
                }
                h.expect(try await a.terminate() == 0, "gateway A did not stop cleanly: \(a.log)")
                h.expect(try await b.terminate() == 0, "gateway B did not stop cleanly: \(b.log)")
            }
        }

        /// Both gateways have webhooks to a receiver that fails slowly (500 after half a second, so POSTs are in
        /// flight): B's messages and A's receipts are being retried when both gateways are killed. Restarted, with
        /// the receiver answering 204, every message and every receipt arrives; once answered 2xx, none comes
        /// again, neither while the gateways run on nor after one more (clean) restart of both.
        @Test func webhookEventsSurviveAKillAndStopAfterTheir2xx() async throws {
            try await withDaemon { h in
                let receiver = try await WebhookReceiver.start(h, mode: "fail")
                func launch(_ suffix: String) async throws -> (GatewayProcess, GatewayProcess) {
                    let a = try await GatewayProcess.launch(
                        h, name: "gateway-a\(suffix)", nodes: ["test-a"], webhooks: ["test-a": receiver.webhook("a")])
                    let b = try await GatewayProcess.launch(
                        h, name: "gateway-b\(suffix)", nodes: ["test-b"], webhooks: ["test-b": receiver.webhook("b")])
                    try await Self.ready(h, a, b)
                    return (a, b)
                }
                var (a, b) = try await launch("")
                let ids = (1...3).map { "test-a:kill-w-\($0)" }
                for (index, id) in ids.enumerated() {
                    let sent = try await GatewayHTTP.call(
                        "POST", "\(a.url)/v1/nodes/test-a/messages?wait=15",
                        body: try Self.send(id, caseNumber: 100 + index))
                    h.expect(sent.status == 201, "send \(id): \(sent)")
                }
                // Each stream is failing: B's first message and A's first receipt have been refused.
                try await h.eventually("both webhooks are failing", timeout: .seconds(30)) {
                    let requests = receiver.requests
                    return requests.contains { $0["path"] as? String == "/b" && $0["event"] as? String == "message" }
                        && requests.contains { $0["path"] as? String == "/a" && $0["event"] as? String == "receipt" }
                }
                try await Task.sleep(for: .milliseconds(300))
                try await a.kill9()
                try await b.kill9()
                h.expect(
                    !receiver.requests.contains { $0["status"] as? Int == 204 && $0["event"] as? String != "status" },
                    "a message or receipt POST succeeded before the kill")

                try receiver.setMode("ok")
                (a, b) = try await launch("-2")
                func answered() -> Set<String> {
                    Set(
                        receiver.requests.filter { $0["status"] as? Int == 204 }.compactMap {
                            $0["delivery"] as? String
                        })
                }
                func receiptsAnswered() -> Set<String> {
                    Set(
                        receiver.requests.filter { $0["status"] as? Int == 204 && $0["event"] as? String == "receipt" }
                            .compactMap {
                                (($0["body"] as? [String: Any])?["receipt"] as? [String: Any])?["message_id"] as? String
                            })
                }
                try await h.eventually("every message reaches B's receiver, every receipt A's", timeout: .seconds(40)) {
                    let done = answered()
                    return ids.allSatisfy { done.contains("test-a:\($0)") } && receiptsAnswered() == Set(ids)
                }

                // Nothing answered 2xx comes again: not while running, not after a clean restart of both.
                try await Task.sleep(for: .seconds(2))
                h.expect(try await a.terminate() == 0, "gateway A did not stop cleanly: \(a.log)")
                h.expect(try await b.terminate() == 0, "gateway B did not stop cleanly: \(b.log)")
                (a, b) = try await launch("-3")
                try await Task.sleep(for: .seconds(3))
                var seen: Set<String> = []
                let requests = receiver.requests
                let trail = requests.map { "\($0["path"] ?? "") \($0["delivery"] ?? "") \($0["status"] ?? "")" }
                for request in requests {
                    let delivery = request["delivery"] as? String ?? ""
                    h.expect(
                        !seen.contains(delivery),
                        "\(delivery) was POSTed again after its 2xx; the receiver's requests: \(trail)")
                    if request["status"] as? Int == 204 { seen.insert(delivery) }
                }
                h.expect(try await a.terminate() == 0, "gateway A did not stop cleanly: \(a.log)")
                h.expect(try await b.terminate() == 0, "gateway B did not stop cleanly: \(b.log)")
            }
        }
    }
}
