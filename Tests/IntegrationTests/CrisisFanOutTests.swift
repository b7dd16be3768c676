import Foundation
import ReferralProtocol
import Testing

extension DaemonSuite {
    /// The brief's crisis: one alert to the police, the village child director and the 12355 hotline at once,
    /// each party with its own minute-level (here 2 s) acknowledgment deadline. The director acknowledges; the
    /// police and the hotline do not, and each of their items escalates on its own, up its own chain and, with
    /// the crisis policy's fan-out, up every crisis agency's chain at once. Made-up data only.
    @Suite("crisis fan-out")
    struct CrisisFanOutTests {
        static let parties = [
            TestNode(id: "test-police", agency: "public-security", kind: "police-station", division: "350102001"),
            TestNode(id: "test-psb", agency: "public-security", kind: "public-security-bureau", division: "350102"),
            TestNode(id: "test-director", agency: "civil-affairs", kind: "child-director", division: "350102100201"),
            TestNode(id: "test-ca", agency: "civil-affairs", kind: "county-bureau", division: "350102"),
            TestNode(id: "test-hotline", agency: "youth-league", kind: "hotline", division: "350100"),
            TestNode(id: "test-yl-city", agency: "youth-league", kind: "city-bureau", division: "350100"),
        ]

        static func options() -> DaemonOptions {
            var options = DaemonOptions()
            options.heartbeatMs = 10_000
            options.nodes += parties
            options.escalationPolicy = """
                {"version": 1, "levels": {"crisis": {"delivery": "off", "answer": "2s", "repeat": "2s", "max_steps": 1,
                 "clock": "continuous", "fan_out": true}}}
                """
            return options
        }

        @Test func eachSilentPartyEscalatesOnItsOwnUpEveryCrisisChain() async throws {
            try await withDaemon(Self.options()) { h in
                let ids = [
                    "test-a", "test-police", "test-director", "test-hotline", "test-psb", "test-ca", "test-e",
                    "test-yl-city",
                ]
                var nodes: [String: RawNode] = [:]
                for id in ids { nodes[id] = try h.raw(id) }
                defer { for node in nodes.values { node.close() } }
                for id in ids { try await nodes[id]!.hello(id) }
                let caseId = Made.caseId()
                let alert = try await nodes["test-a"]!.send(
                    Made.send(
                        "test-a:crisis-fan-1", to: ["test-police", "test-director", "test-hotline"],
                        kind: "crisis.alert",
                        caseId: caseId, priority: .crisis))
                guard case .accepted = alert else { return h.fail("crisis.alert answered \(alert.name)") }
                let ack = try await nodes["test-director"]!.send(
                    Made.send(
                        "test-director:ack-1", to: ["test-a"], kind: "crisis.acknowledged", caseId: caseId,
                        priority: .crisis))
                guard case .accepted = ack else { return h.fail("crisis.acknowledged answered \(ack.name)") }

                // Who heard about whom: supervisor -> the parties named in the notices it got.
                var heard: [String: Set<String>] = [:]
                for supervisor in ["test-psb", "test-ca", "test-e", "test-yl-city"] {
                    let (deliver, body) = try await nodes[supervisor]!.escalationNotice()
                    h.expect(deliver.priority == .crisis && deliver.caseId == caseId, "\(supervisor): \(deliver.kind)")
                    let party = (body["overdue"] as? [String: Any])?["party"] as? String ?? "?"
                    heard[supervisor, default: []].insert(party)
                }
                try await nodes["test-yl-city"]!.idle(for: .seconds(3))
                for notice in nodes["test-yl-city"]!.queuedNotices {
                    heard["test-yl-city", default: []].insert(
                        (notice["overdue"] as? [String: Any])?["party"] as? String ?? "?")
                }
                for supervisor in ["test-psb", "test-ca", "test-e"] {
                    for notice in nodes[supervisor]!.queuedNotices {
                        heard[supervisor, default: []].insert(
                            (notice["overdue"] as? [String: Any])?["party"] as? String ?? "?")
                    }
                }
                // The police's item: its own chain (the county bureau) and, at once, the civil-affairs, education
                // and youth-league authorities over it. The hotline's: its youth-league city bureau.
                h.expect(heard["test-psb"] == ["test-police"], "public security heard \(heard["test-psb"] ?? [])")
                h.expect(heard["test-ca"] == ["test-police"], "civil affairs heard \(heard["test-ca"] ?? [])")
                h.expect(heard["test-e"] == ["test-police"], "education heard \(heard["test-e"] ?? [])")
                h.expect(
                    heard["test-yl-city"] == ["test-police", "test-hotline"],
                    "the youth league heard \(heard["test-yl-city"] ?? [])")
                h.expect(
                    !heard.values.contains { $0.contains("test-director") }, "the acknowledging director escalated")
            }
        }
    }
}
