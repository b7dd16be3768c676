import Foundation
import Testing

extension DaemonSuite {
    /// `GET /v1/nodes/{node}/events` (issue 11): the node's status changes and receipts as server-sent events,
    /// resumable, bounded by `wait`, ended when the gateway stops. The real broker and two real gateways; curl
    /// reads the open streams. Made-up data only.
    @Suite("Gateway: the events stream")
    struct GatewayEventsTests {
        struct Event {
            var id: Int
            var type: String
            var data: [String: Any]
        }

        /// The events of a text/event-stream (comments and `retry:` skipped).
        static func parse(_ text: String) -> [Event] {
            text.components(separatedBy: "\n\n").compactMap { block in
                var id: Int?
                var type: String?
                var data: [String: Any]?
                for line in block.split(separator: "\n") {
                    if line.hasPrefix("id: ") { id = Int(line.dropFirst(4)) }
                    if line.hasPrefix("event: ") { type = String(line.dropFirst(7)) }
                    if line.hasPrefix("data: ") {
                        data = (try? JSONSerialization.jsonObject(with: Data(line.dropFirst(6).utf8))) as? [String: Any]
                    }
                }
                guard let id, let type, let data else { return nil }
                return Event(id: id, type: type, data: data)
            }
        }

        @Test func statusChangesAndReceiptsAsServerSentEvents() async throws {
            guard let curl = Tool.find("curl") else { return }
            try await withDaemon { h in
                let (a, b) = try await GatewayTests.gateways(h)
                let token = GatewayTests.token
                let events = "\(a.url)/v1/nodes/test-a/events"
                let id = "test-a:sse-000001"
                let sent = try await GatewayHTTP.call(
                    "POST", "\(a.url)/v1/nodes/test-a/messages?wait=15",
                    body: try GatewayTests.request(id: id, body: try GatewayTests.referralBody()), token: token)
                h.expect(sent.status == 201, "send: \(sent)")

                // wait=0: what is there, then the stream ends. The receipt follows the acceptance.
                var stream: [Event] = []
                try await h.eventually("the stream has the acceptance and the receipt", timeout: .seconds(30)) {
                    let answer = try await GatewayHTTP.call("GET", events + "?wait=0", token: token)
                    h.expect(answer.status == 200, "\(answer)")
                    h.expect(answer.contentType?.hasPrefix("text/event-stream") == true, "\(answer)")
                    stream = Self.parse(answer.text).filter { $0.data["message_id"] as? String == id }
                    return stream.map(\.type) == ["accepted", "delivered"]
                }
                let (accepted, delivered) = (stream[0], stream[1])
                h.expect(accepted.data["seq"] as? Int == sent.json["seq"] as? Int, "\(accepted.data)")
                h.expect(accepted.data["number"] as? Int == accepted.id && delivered.id > accepted.id, "ids")
                h.expect(delivered.data["recipient"] as? String == "test-b", "\(delivered.data)")
                h.expect(delivered.data["receipt"] is Int && delivered.data["body"] == nil, "\(delivered.data)")

                // Resuming: after Last-Event-ID, and ?after= (which wins over the header).
                let (status, resumed) = try await Tool.run(
                    curl,
                    [
                        "-s", "--max-time", "20", "-H", "Authorization: Bearer \(token)", "-H",
                        "Last-Event-ID: \(accepted.id)", events + "?wait=0",
                    ])
                h.expect(status == 0 && Self.parse(resumed).map(\.id) == [delivered.id], "resumed: \(resumed)")
                let (_, overridden) = try await Tool.run(
                    curl,
                    [
                        "-s", "--max-time", "20", "-H", "Authorization: Bearer \(token)", "-H",
                        "Last-Event-ID: \(delivered.id)", events + "?wait=0&after=0",
                    ])
                h.expect(Self.parse(overridden).map(\.id).contains(accepted.id), "after=0: \(overridden)")

                // A live stream (wait=10) gets the next message's acceptance as it happens, then ends by itself.
                let liveArguments = [
                    "-s", "-N", "--max-time", "30", "-H", "Authorization: Bearer \(token)",
                    events + "?wait=10&after=\(delivered.id)",
                ]
                let live = Task { try await Tool.run(curl, liveArguments, seconds: 40) }
                try await Task.sleep(for: .seconds(1))
                let second = "test-a:sse-000002"
                let caseId = "8e1f2a3b-4c5d-4e6f-8a7b-9c0d1e2f3a4b"
                let object: [String: Any] = [
                    "id": second, "kind": "referral.request", "to": ["test-b"], "case": caseId, "priority": "urgent",
                    "body": try GatewayTests.referralBody(),
                ]
                let again = try await GatewayHTTP.call(
                    "POST", "\(a.url)/v1/nodes/test-a/messages?wait=15",
                    body: Array(try JSONSerialization.data(withJSONObject: object)), token: token)
                h.expect(again.status == 201, "second send: \(again)")
                let (liveStatus, liveText) = try await live.value
                h.expect(liveStatus == 0, "the wait=10 stream did not end by itself (curl \(liveStatus))")
                let liveEvents = Self.parse(liveText)
                h.expect(
                    liveEvents.contains { $0.type == "accepted" && $0.data["message_id"] as? String == second },
                    "live: \(liveText)")
                h.expect(liveEvents.allSatisfy { $0.id > delivered.id }, "live: \(liveText)")

                // Bad parameters and an unknown node are problems, before any stream.
                for query in ["?after=-1", "?after=x", "?wait=100000"] {
                    let bad = try await GatewayHTTP.call("GET", events + query, token: token)
                    h.expect(bad.status == 400 && bad.contentType == "application/problem+json", "\(query): \(bad)")
                }
                let unknown = try await GatewayHTTP.call("GET", "\(a.url)/v1/nodes/test-x/events?wait=0", token: token)
                h.expect(unknown.status == 404, "\(unknown)")
                let anonymous = try await GatewayHTTP.call("GET", events + "?wait=0")
                h.expect(anonymous.status == 401, "\(anonymous)")

                // A stream without wait: a comment line every 15 s without events; it ends when the gateway stops,
                // and does not hold the stop up.
                let openArguments = ["-s", "-N", "--max-time", "60", "-H", "Authorization: Bearer \(token)", events]
                let open = Task { try await Tool.run(curl, openArguments, seconds: 70) }
                try await Task.sleep(for: .seconds(16))
                h.expect(try await a.terminate() == 0, "gateway A did not stop cleanly with a stream open: \(a.log)")
                let (openStatus, openText) = try await open.value
                h.expect(openStatus == 0, "the open stream did not end with the gateway (curl \(openStatus))")
                h.expect(openText.hasPrefix(": referral-gateway events"), "\(openText)")
                h.expect(openText.contains("\n: heartbeat\n\n"), "no heartbeat in 16 s: \(openText)")
                h.expect(try await b.terminate() == 0, "gateway B did not stop cleanly: \(b.log)")
            }
        }
    }
}
