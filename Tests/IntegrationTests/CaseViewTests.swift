import Foundation
import ReferralClient
import ReferralProtocol
import Testing

extension DaemonSuite {
    /// Case and overdue views (1/RBP QUERY, GATEWAY-1 `/cases/{case}` and `/overdue`) through the real daemon,
    /// real nodes and a real gateway: the referrer and the service see the case and its status, a node that had
    /// nothing to do with it gets NOT_FOUND exactly as for a case that does not exist, and each node's overdue
    /// list holds only its own items. Made-up data only.
    @Suite("case views")
    struct CaseViewTests {
        /// The made-up referral body of protocols/business/examples.
        static func referral(id: String, caseId: String) throws -> [UInt8] {
            let url = Locations.packageRoot.appendingPathComponent(
                "protocols/business/examples/referral.request.valid.json")
            let body = try JSONSerialization.jsonObject(with: Data(contentsOf: url))
            let object: [String: Any] = [
                "id": id, "kind": "referral.request", "to": ["test-b"], "case": caseId, "priority": "urgent",
                "body": body,
            ]
            return Array(try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]))
        }

        /// Urgent answers (the example referral's risk) due after 1 s, so that the referral is overdue while the
        /// test runs; no delivery deadlines; one escalation step a minute.
        static func options() -> DaemonOptions {
            var options = DaemonOptions()
            options.escalationPolicy = """
                {"version": 1, "levels": {"urgent": {"delivery": "off", "answer": "1s", "repeat": "60s",
                 "max_steps": 1, "clock": "continuous"}}}
                """
            return options
        }

        static func overdueCases(_ view: OverdueView) -> [String] { view.items.compactMap(\.caseId) }

        @Test func referrerAndServiceSeeTheCaseOthersDoNot() async throws {
            try await withDaemon(Self.options()) { h in
                let gateway = try await GatewayProcess.launch(h, name: "gateway-ac", nodes: ["test-a", "test-c"])
                try await h.eventually("the gateway's nodes have sessions") {
                    try await GatewayHTTP.call("GET", gateway.url + "/ready").status == 200
                }
                let b = try h.node("test-b")
                let d = try h.node("test-d")
                try await h.eventually("test-b and test-d have sessions") { b.isConnected && d.isConnected }

                let caseId = Made.caseId()
                let id = "test-a:view-000001"
                let sent = try await GatewayHTTP.call(
                    "POST", "\(gateway.url)/v1/nodes/test-a/messages?wait=15",
                    body: try Self.referral(id: id, caseId: caseId))
                try h.require(sent.status == 201, "send: \(sent)")
                let received = try await b.receive(count: 1)
                try h.require(received.map(\.id) == [id], "test-b received \(received.map(\.id))")

                // The service, through the node library.
                let service = try await b.caseView(caseId.uppercased())
                h.expect(service.caseId == caseId && service.status == "requested", "service view: \(service)")
                h.expect(service.referrer == "test-a" && service.service == "test-b", "service view: \(service)")
                h.expect(
                    service.deadlines.contains { $0.awaiting == .answer && $0.party == "test-b" },
                    "the service does not see the answer it owes: \(service.deadlines)")
                h.expect(
                    service.events.contains { $0.event == "accepted" && $0.id == id && $0.from == "test-a" },
                    "the service does not see the referral's events: \(service.events)")

                // The referrer, through the gateway.
                let referrer = try await GatewayHTTP.call("GET", "\(gateway.url)/v1/nodes/test-a/cases/\(caseId)")
                h.expect(referrer.status == 200, "referrer view: \(referrer)")
                h.expect(referrer.json["status"] as? String == "requested", "referrer view: \(referrer)")
                h.expect(referrer.json["service"] as? String == "test-b", "referrer view: \(referrer)")
                let deadlines = referrer.json["deadlines"] as? [[String: Any]] ?? []
                h.expect(
                    deadlines.contains { $0["awaiting"] as? String == "answer" && $0["party"] as? String == "test-b" },
                    "the referrer does not see the answer it awaits: \(referrer)")

                // A node with nothing to do with the case: NOT_FOUND, the same as for a case that does not exist.
                do {
                    let leaked = try await d.caseView(caseId)
                    h.fail("test-d saw the case: \(leaked)")
                } catch ReferralQueryError.notFound {
                }
                do {
                    let none = try await d.caseView(Made.caseId())
                    h.fail("a case that does not exist answered \(none)")
                } catch ReferralQueryError.notFound {
                }
                let foreign = try await GatewayHTTP.call("GET", "\(gateway.url)/v1/nodes/test-c/cases/\(caseId)")
                let missing = try await GatewayHTTP.call(
                    "GET", "\(gateway.url)/v1/nodes/test-c/cases/\(Made.caseId())")
                for answer in [foreign, missing] {
                    h.expect(answer.status == 404, "test-c: \(answer)")
                    h.expect(answer.json["type"] as? String == "urn:referral-gateway:problem:unknown-case", "\(answer)")
                }
                h.expect(foreign.text.count == missing.text.count, "the two 404s differ: \(foreign) / \(missing)")
                let bad = try await GatewayHTTP.call("GET", "\(gateway.url)/v1/nodes/test-c/cases/not-a-case")
                h.expect(bad.status == 400, "a malformed case id: \(bad)")

                // Overdue: the answer test-b owes is late for test-b (its party) and for test-a (its referrer).
                try await h.eventually("test-b's overdue list has the case", timeout: .seconds(30)) {
                    Self.overdueCases(try await b.overdue()).contains(caseId)
                }
                let late = try await b.overdue(limit: 100)
                h.expect(
                    late.items.allSatisfy { $0.party == "test-b" || $0.caseId == caseId },
                    "test-b's overdue list holds another node's items: \(late.items)")
                h.expect(
                    !Self.overdueCases(try await d.overdue(limit: 100)).contains(caseId), "test-d sees the case late")
                let referrerLate = try await GatewayHTTP.call("GET", "\(gateway.url)/v1/nodes/test-a/overdue?limit=100")
                let items = referrerLate.json["items"] as? [[String: Any]] ?? []
                h.expect(
                    referrerLate.status == 200 && items.contains { $0["case"] as? String == caseId },
                    "test-a's overdue list: \(referrerLate)")
                let otherLate = try await GatewayHTTP.call("GET", "\(gateway.url)/v1/nodes/test-c/overdue")
                h.expect(
                    otherLate.status == 200 && !otherLate.text.contains(caseId), "test-c's overdue list: \(otherLate)")
                let badLimit = try await GatewayHTTP.call("GET", "\(gateway.url)/v1/nodes/test-c/overdue?limit=0")
                h.expect(badLimit.status == 400, "limit=0: \(badLimit)")

                // Without a session with the broker the views are unavailable, never stale.
                try await h.daemon.kill9()
                try await h.eventually("test-a's case view answers 503 without a broker") {
                    let answer = try await GatewayHTTP.call("GET", "\(gateway.url)/v1/nodes/test-a/cases/\(caseId)")
                    return answer.status == 503
                        && answer.json["type"] as? String == "urn:referral-gateway:problem:unavailable"
                }
                try await h.eventually("test-b notices the broker is gone") { !b.isConnected }
                do {
                    let stale = try await b.overdue()
                    h.fail("test-b's overdue answered without a broker: \(stale)")
                } catch ReferralQueryError.notConnected {
                }
                _ = try await gateway.terminate()
            }
        }
    }
}
