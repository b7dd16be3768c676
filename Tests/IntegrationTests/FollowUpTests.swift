import Foundation
import ReferralProtocol
import Testing

extension DaemonSuite {
    /// Discharge follow-up through the real daemon (issue 4, "Discharge and follow-up"): a hospital's
    /// discharge notice carries its plan in the SEND header (1/RBP §7.3.2); the broker sets one deadline per
    /// visit; a missed visit climbs the child director's civil-affairs chain (township supervisor, then the
    /// county bureau) and stops when the visit arrives; the plan owner's `followup.closed` ends the rest.
    /// A plan "day" is one second here (`followup_day_ms`); made-up data only.
    @Suite("follow-up")
    struct FollowUpTests {
        static let civilAffairs = [
            TestNode(id: "test-director", agency: "civil-affairs", kind: "child-director", division: "350102100201"),
            TestNode(
                id: "test-supervisor", agency: "civil-affairs", kind: "township-supervisor", division: "350102100"),
            TestNode(id: "test-ca", agency: "civil-affairs", kind: "county-bureau", division: "350102"),
            TestNode(id: "test-ca-city", agency: "civil-affairs", kind: "city-bureau", division: "350100"),
        ]

        static func options() -> DaemonOptions {
            var options = DaemonOptions()
            options.heartbeatMs = 10_000
            options.nodes += civilAffairs
            options.followUpDayMs = 1_000
            // A missed visit escalates every 2 s, three levels at most; no delivery deadlines.
            options.escalationPolicy = """
                {"version": 1, "levels": {"follow-up": {"delivery": "off", "repeat": "2s", "max_steps": 3,
                 "clock": "continuous"}}}
                """
            return options
        }

        static func plan(_ days: [Int], by: [String] = ["test-director"], owner: String? = "test-supervisor")
            -> FollowUpHeader
        {
            FollowUpHeader(steps: days.map { .within(days: $0) }, visitsBy: by, owner: owner)
        }

        static func discharge(
            _ id: String, caseId: String, to: [String] = ["test-a", "test-director"], plan: FollowUpHeader
        ) -> Send {
            Send(
                id: id, to: to, kind: "discharge.notice", caseId: caseId, priority: .routine,
                body: Array(#"{"note":"made-up discharge notice"}"#.utf8), followUp: plan)
        }

        /// The open deadlines `referralctl case ID --json` lists: (awaiting, party, visit number).
        func openDeadlines(_ h: Harness, _ caseId: String) async throws -> [String] {
            let object = try await h.caseInfo(caseId)
            return (object["deadlines"] as? [[String: Any]] ?? []).map {
                "\($0["awaiting"] ?? "?") \($0["party"] ?? "?") \($0["visit_number"] ?? "-")"
            }
        }

        /// The issue's scenario: two visits, the first missed → township supervisor (level 1) → county bureau
        /// (level 2) → the visit arrives and nothing more is sent; the owner closes the plan, so the second
        /// visit never escalates.
        @Test func missedVisitClimbsTheCivilAffairsChainAndStopsOnTheVisit() async throws {
            try await withDaemon(Self.options()) { h in
                let ids = ["test-d", "test-a", "test-director", "test-supervisor", "test-ca", "test-ca-city"]
                var nodes: [String: RawNode] = [:]
                for id in ids { nodes[id] = try h.raw(id) }
                defer { for node in nodes.values { node.close() } }
                for id in ids { try await nodes[id]!.hello(id) }
                let (hospital, director, supervisor, county, city) = (
                    nodes["test-d"]!, nodes["test-director"]!, nodes["test-supervisor"]!, nodes["test-ca"]!,
                    nodes["test-ca-city"]!
                )
                let caseId = Made.caseId()
                // Visit 1 due in 2 "days" (2 s), visit 2 in 9 (9 s).
                let answer = try await hospital.send(
                    Self.discharge("test-d:fu-000001", caseId: caseId, plan: Self.plan([2, 9])))
                guard case .accepted = answer else { return h.fail("discharge.notice answered \(answer.name)") }
                let armed = try await openDeadlines(h, caseId)
                h.expect(
                    armed == ["followup-visit test-director 1", "followup-visit test-director 2"],
                    "referralctl case lists \(armed)")
                // A discharge case has no referral status, but it is tracked: its line says what it is.
                let text = try await h.referralctl(["case", caseId, "--admin", h.daemon.admin])
                h.expect(
                    text.stdout.hasPrefix("case \(caseId): a case of discharge.notice, tracked without a referral status")
                        && !text.stdout.contains("not a tracked"), "referralctl case: \(text.stdout) \(text.stderr)")

                let (first, body1) = try await supervisor.escalationNotice()
                h.expect(first.from == "referrald" && first.caseId == caseId, "level 1: \(first.from) \(body1)")
                let overdue = body1["overdue"] as? [String: Any] ?? [:]
                h.expect(overdue["party"] as? String == "test-director", "\(overdue)")
                h.expect(overdue["awaiting"] as? String == "followup-visit", "\(overdue)")
                h.expect(overdue["visit_number"] as? Int == 1, "\(overdue)")
                h.expect(body1["level"] as? Int == 1, "\(body1)")

                let (second, body2) = try await county.escalationNotice()
                h.expect(second.caseId == caseId && body2["level"] as? Int == 2, "level 2: \(body2)")
                h.expect(
                    (body2["chain"] as? [[String: Any]])?.first?["notified"] as? [String] == ["test-supervisor"],
                    "\(body2)")

                // The visit arrives (late): it meets visit 1, and the escalation stops before the city.
                let visit = try await director.send(
                    Made.send("test-director:visit-1", to: ["test-d"], kind: "followup.visit", caseId: caseId))
                guard case .accepted = visit else { return h.fail("followup.visit answered \(visit.name)") }
                // The owner ends the plan: visit 2 (due at 9 s) must never escalate.
                let closed = try await supervisor.send(
                    Made.send("test-supervisor:close-1", to: ["test-d"], kind: "followup.closed", caseId: caseId))
                guard case .accepted = closed else { return h.fail("followup.closed answered \(closed.name)") }

                let left = try await openDeadlines(h, caseId)
                h.expect(left.isEmpty, "open after the visit and the close: \(left)")
                try await city.idle(for: .seconds(7))
                try await supervisor.idle(for: .milliseconds(100))
                h.expect(city.queuedNotices.isEmpty, "the city was notified after the visit: \(city.queuedNotices)")
                h.expect(
                    supervisor.queuedNotices.isEmpty, "a notice came after the plan closed: \(supervisor.queuedNotices)"
                )
            }
        }

        /// Visits meet the earliest open visit of their sender only; a plan's visits are owed by each party; a
        /// `followup.closed` from a node that is neither the sender nor the owner ends nothing.
        @Test func visitsMeetTheirSendersEarliestVisitAndOnlyTheOwnerCloses() async throws {
            try await withDaemon(Self.options()) { h in
                let ids = ["test-d", "test-a", "test-director", "test-supervisor", "test-e"]
                var nodes: [String: RawNode] = [:]
                for id in ids { nodes[id] = try h.raw(id) }
                defer { for node in nodes.values { node.close() } }
                for id in ids { try await nodes[id]!.hello(id) }
                let (hospital, school, director, supervisor, bureau) = (
                    nodes["test-d"]!, nodes["test-a"]!, nodes["test-director"]!, nodes["test-supervisor"]!,
                    nodes["test-e"]!
                )
                let caseId = Made.caseId()
                // Both the school and the director owe visits 1 (3 s) and 2 (4 s).
                let answer = try await hospital.send(
                    Self.discharge(
                        "test-d:fu-000002", caseId: caseId, plan: Self.plan([3, 4], by: ["test-a", "test-director"])))
                guard case .accepted = answer else { return h.fail("discharge.notice answered \(answer.name)") }
                // The director makes both visits early; the school makes one; the school's `followup.closed`
                // (not the owner) changes nothing.
                for n in 1...2 {
                    let visit = try await director.send(
                        Made.send("test-director:v\(n)", to: ["test-d"], kind: "followup.visit", caseId: caseId))
                    guard case .accepted = visit else { return h.fail("visit \(n) answered \(visit.name)") }
                }
                let schoolVisit = try await school.send(
                    Made.send("test-a:v1", to: ["test-d"], kind: "followup.visit", caseId: caseId))
                guard case .accepted = schoolVisit else { return h.fail("school visit answered \(schoolVisit.name)") }
                let notOwner = try await school.send(
                    Made.send("test-a:close", to: ["test-d"], kind: "followup.closed", caseId: caseId))
                guard case .accepted = notOwner else { return h.fail("followup.closed answered \(notOwner.name)") }

                // Only the school's visit 2 is late: its notice goes to the school's county education bureau.
                let (_, body) = try await bureau.escalationNotice()
                let overdue = body["overdue"] as? [String: Any] ?? [:]
                h.expect(
                    overdue["party"] as? String == "test-a" && overdue["visit_number"] as? Int == 2, "\(overdue)")
                try await supervisor.idle(for: .seconds(2))
                h.expect(supervisor.queuedNotices.isEmpty, "the director's met visits escalated")
            }
        }

        /// A plan is checked against the directory before anything is stored: every party must be a recipient,
        /// addresses resolve like `to`, the owner is one node, and only a discharge notice with a case has one.
        @Test func invalidPlansAreRejected() async throws {
            try await withDaemon(Self.options()) { h in
                let hospital = try h.raw("test-d")
                defer { hospital.close() }
                try await hospital.hello("test-d")
                let caseId = Made.caseId()
                let cases: [(Send, ErrorCode, String?)] = [
                    (
                        Self.discharge(
                            "test-d:bad-1", caseId: caseId, to: ["test-a"], plan: Self.plan([7], by: ["test-director"])),
                        .badField, nil
                    ),
                    (
                        Self.discharge(
                            "test-d:bad-2", caseId: caseId, plan: Self.plan([7], by: ["test-director", "no-such-node"])),
                        .unknownRecipient, "no-such-node"
                    ),
                    (
                        Self.discharge(
                            "test-d:bad-3", caseId: caseId,
                            plan: Self.plan([7], owner: "role:civil-affairs/township-supervisor@350102999")),
                        .unknownDivision, "role:civil-affairs/township-supervisor@350102999"
                    ),
                ]
                for (send, code, recipient) in cases {
                    let answer = try await hospital.send(send)
                    guard case .rejected(let rejected) = answer else {
                        h.fail("\(send.id) answered \(answer.name)")
                        continue
                    }
                    h.expect(rejected.code == code, "\(send.id): \(rejected.code) \(rejected.reason)")
                    h.expect(rejected.field == "followup", "\(send.id): field \(rejected.field ?? "none")")
                    h.expect(rejected.recipient == recipient, "\(send.id): recipient \(rejected.recipient ?? "none")")
                    h.expect(!rejected.retry, "\(send.id): retry")
                }
                // Nothing was stored: the first id is free for a valid notice.
                let valid = try await hospital.send(
                    Self.discharge("test-d:bad-1", caseId: caseId, plan: Self.plan([7])))
                guard case .accepted(let accepted) = valid, !accepted.duplicate else {
                    return h.fail("the valid notice answered \(valid.name)")
                }
            }
        }
    }
}
