import Foundation
import ReferralBusiness
import ReferralClient
import ReferralProtocol
import Testing

extension DaemonSuite {
    /// Escalation timers through the real daemon (issue 4, "Escalation", "Durable timers"): an unanswered
    /// referral request climbs the referring school's education chain (test-e, then the city bureau) as
    /// `escalation.notice` messages from `referrald`, stops when the answer comes, survives a kill -9, and
    /// keeps the policy it started with. Second-level policies; made-up data only.
    @Suite("escalation")
    struct EscalationTests {
        /// Routine answers due in 2 s, a step every `repeatEvery`, at most three steps, continuous clock.
        static func policy(answer: String = "2s", repeatEvery: String = "2s", maxSteps: Int = 3) -> String {
            """
            {"version": 1, "levels": {"routine": {"delivery": "off", "answer": "\(answer)", "repeat": "\(repeatEvery)",
             "max_steps": \(maxSteps), "clock": "continuous"},
             "crisis": {"delivery": "off", "answer": "2s", "repeat": "2s", "max_steps": 1, "clock": "continuous",
             "fan_out": true}}}
            """
        }

        static func options(answer: String = "2s", repeatEvery: String = "2s") -> DaemonOptions {
            var options = DaemonOptions()
            // Raw nodes answer PINGs only while a test reads them: sessions must outlive the waits for timers.
            options.heartbeatMs = 10_000
            options.nodes.append(
                TestNode(id: "test-city", agency: "education", kind: "city-bureau", division: "350100"))
            options.escalationPolicy = policy(answer: answer, repeatEvery: repeatEvery)
            return options
        }

        /// Sends the referral request of `caseId` from test-a to test-b and lets test-b ACK its delivery.
        func refer(_ h: Harness, _ a: RawNode, _ b: RawNode, _ id: String, caseId: String) async throws {
            let answer = try await a.send(Made.send(id, to: ["test-b"], kind: "referral.request", caseId: caseId))
            guard case .accepted = answer else { throw HarnessError("referral.request answered \(answer.name)") }
            let deliver: Deliver = try await b.expect("DELIVER of the referral request") {
                if case .deliver(let deliver) = $0, deliver.id == id { return deliver }
                return nil
            }
            try await b.send(.ack(Ack(seq: deliver.seq)))
        }

        func overdueCases(_ h: Harness) async throws -> [String] {
            let run = try await h.referralctl(["overdue", "--json", "--admin", h.daemon.admin])
            guard run.status == 0,
                let object = try? JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any],
                let items = object["overdue"] as? [[String: Any]]
            else { throw HarnessError("referralctl overdue: exit \(run.status): \(run.stdout) \(run.stderr)") }
            return items.compactMap { $0["case"] as? String }
        }

        @Test func overdueAnswerClimbsTheChainAndStopsWhenAnswered() async throws {
            try await withDaemon(Self.options()) { h in
                let (a, b, e, city) = (
                    try h.raw("test-a"), try h.raw("test-b"), try h.raw("test-e"), try h.raw("test-city")
                )
                defer { for node in [a, b, e, city] { node.close() } }
                for (node, id) in [(a, "test-a"), (b, "test-b"), (e, "test-e"), (city, "test-city")] {
                    try await node.hello(id)
                }
                let caseId = Made.caseId()
                try await refer(h, a, b, "test-a:esc-000001", caseId: caseId)

                let (first, body1) = try await e.escalationNotice()
                h.expect(first.from == "referrald", "level 1 came from \(first.from)")
                h.expect(first.caseId == caseId, "level 1 names case \(first.caseId ?? "none")")
                h.expect(body1["case_id"] as? String == caseId, "body: \(body1)")
                h.expect(body1["level"] as? Int == 1, "level 1 body: \(body1)")
                let overdue = body1["overdue"] as? [String: Any] ?? [:]
                h.expect(
                    overdue["party"] as? String == "test-b" && overdue["awaiting"] as? String == "answer", "\(overdue)")
                h.expect(
                    (overdue["message"] as? [String: Any])?["id"] as? String == "test-a:esc-000001", "\(overdue)")
                h.expect((body1["chain"] as? [Any])?.isEmpty == true, "chain at level 1: \(body1)")
                h.expect(body1["deadline"] is String && body1["next_escalation_at"] is String, "\(body1)")
                h.expect(try await overdueCases(h).contains(caseId), "overdue does not list the case")

                let (second, body2) = try await city.escalationNotice()
                h.expect(second.from == "referrald" && second.caseId == caseId, "level 2: \(second.from)")
                h.expect(body2["level"] as? Int == 2, "level 2 body: \(body2)")
                h.expect(
                    (body2["chain"] as? [[String: Any]])?.first?["notified"] as? [String] == ["test-e"], "\(body2)")

                // The answer stops it: no third notice, and nothing overdue any more.
                let answer = try await b.send(
                    Made.send("test-b:esc-000001", to: ["test-a"], kind: "referral.received", caseId: caseId))
                guard case .accepted = answer else { return h.fail("referral.received answered \(answer.name)") }
                h.expect(!(try await overdueCases(h).contains(caseId)), "overdue still lists the answered case")
                try await city.idle(for: .seconds(4))
                h.expect(
                    !city.queuedCommands.contains {
                        if case .deliver(let d) = $0 { return d.kind == "escalation.notice" }
                        return false
                    }, "a notice came after the answer")
                let trail = try await h.trail(sender: "referrald", id: first.id)
                h.expect(!trail.isEmpty, "the notice has no trail")
            }
        }

        /// A crisis alert without a case, unacknowledged: the notice fans out (every crisis agency's chain; here
        /// only the education chain has a bureau) at crisis priority, naming no case.
        @Test func unacknowledgedCrisisAlertFansOutAtCrisisPriority() async throws {
            try await withDaemon(Self.options()) { h in
                let (a, b, e) = (try h.raw("test-a"), try h.raw("test-b"), try h.raw("test-e"))
                defer { for node in [a, b, e] { node.close() } }
                for (node, id) in [(a, "test-a"), (b, "test-b"), (e, "test-e")] { try await node.hello(id) }
                let answer = try await a.send(
                    Made.send("test-a:crisis-000001", to: ["test-b"], kind: "crisis.alert", priority: .crisis))
                guard case .accepted = answer else { return h.fail("crisis.alert answered \(answer.name)") }
                let (deliver, body) = try await e.escalationNotice()
                h.expect(
                    deliver.priority == .crisis && deliver.caseId == nil, "\(deliver.priority) \(deliver.caseId ?? "")")
                h.expect(body["case_id"] == nil && body["level"] as? Int == 1, "\(body)")
                let overdue = body["overdue"] as? [String: Any] ?? [:]
                h.expect(
                    overdue["awaiting"] as? String == "acknowledgment" && overdue["kind"] as? String == "crisis.alert",
                    "\(overdue)")
            }
        }

        /// A crisis alert to two parties, acknowledged (`crisis.acknowledged`) by one of them: only the silent
        /// party's acknowledgment escalates. With a case the acknowledgment meets its sender's item in that case;
        /// without one, its sender's items of the alerts that had no case (1/RBP §7.3).
        @Test(arguments: [true, false])
        func crisisAcknowledgedStopsOnlyThatPartysEscalation(withCase: Bool) async throws {
            try await withDaemon(Self.options()) { h in
                let (a, b, d, e) = (try h.raw("test-a"), try h.raw("test-b"), try h.raw("test-d"), try h.raw("test-e"))
                defer { for node in [a, b, d, e] { node.close() } }
                for (node, id) in [(a, "test-a"), (b, "test-b"), (d, "test-d"), (e, "test-e")] {
                    try await node.hello(id)
                }
                let caseId = withCase ? Made.caseId() : nil
                let alert = try await a.send(
                    Made.send(
                        "test-a:crisis-ack-01", to: ["test-b", "test-d"], kind: "crisis.alert", caseId: caseId,
                        priority: .crisis))
                guard case .accepted = alert else { return h.fail("crisis.alert answered \(alert.name)") }
                let body = Array(
                    (#"{"acknowledged_at":"2026-03-20T10:49:00+08:00","response":"responding-now","#
                        + #""responder_contact":{"unit":"Duty desk (made up)","phone":"0591-44444444"}}"#).utf8)
                let ack = try await b.send(
                    Made.send(
                        "test-b:crisis-ack-01", to: ["test-a"], kind: "crisis.acknowledged", caseId: caseId,
                        priority: .crisis, body: body))
                guard case .accepted = ack else { return h.fail("crisis.acknowledged answered \(ack.name)") }

                let (deliver, notice) = try await e.escalationNotice()
                let overdue = notice["overdue"] as? [String: Any] ?? [:]
                h.expect(deliver.caseId == caseId, "the notice names case \(deliver.caseId ?? "none")")
                h.expect(
                    overdue["party"] as? String == "test-d" && overdue["awaiting"] as? String == "acknowledgment",
                    "\(overdue)")
                // test-b acknowledged: no notice about it follows.
                try await e.idle(for: .seconds(4))
                let late = e.queuedCommands.compactMap { command -> String? in
                    guard case .deliver(let d) = command, d.kind == "escalation.notice" else { return nil }
                    let object = (try? JSONSerialization.jsonObject(with: Data(d.body))) as? [String: Any]
                    return (object?["overdue"] as? [String: Any])?["party"] as? String
                }
                h.expect(!late.contains("test-b"), "the acknowledging party escalated anyway: \(late)")
            }
        }

        /// The referring school's chain is one county bureau (test-e, no city bureau in the directory) and the
        /// policy climbs to the top of the chain (`max_steps` 0): the top level reached is reminded every repeat,
        /// the item stays open in CASE and OVERDUE, until the answer comes (issue 8, item 12).
        @Test func unansweredItemAtTheTopOfItsChainKeepsBeingReminded() async throws {
            var options = DaemonOptions()
            options.heartbeatMs = 10_000
            options.escalationPolicy = Self.policy(maxSteps: 0)
            try await withDaemon(options) { h in
                let (a, b, e) = (try h.raw("test-a"), try h.raw("test-b"), try h.raw("test-e"))
                defer { for node in [a, b, e] { node.close() } }
                for (node, id) in [(a, "test-a"), (b, "test-b"), (e, "test-e")] { try await node.hello(id) }
                let caseId = Made.caseId()
                try await refer(h, a, b, "test-a:esc-top-01", caseId: caseId)

                let (first, body1) = try await e.escalationNotice()
                h.expect(body1["level"] as? Int == 1 && body1["next_escalation_at"] is String, "first: \(body1)")
                let (second, body2) = try await e.escalationNotice()
                h.expect(second.id != first.id && second.caseId == caseId, "reminder \(second.id) after \(first.id)")
                h.expect(body2["level"] as? Int == 1 && body2["next_escalation_at"] is String, "reminder: \(body2)")
                h.expect((body2["chain"] as? [Any])?.isEmpty == true, "a reminder at level 1 has no earlier level: \(body2)")
                // The reminder is a valid escalation.notice for its receiver (protocols/business §7.2).
                do {
                    _ = try BusinessCoding.decode(EscalationNotice.self, from: second.body)
                } catch {
                    h.fail("the reminder's body does not validate: \(error)")
                }
                let deadlines = try await h.caseInfo(caseId)["deadlines"] as? [[String: Any]] ?? []
                h.expect(
                    deadlines.count == 1 && (deadlines.first?["level"] as? Int ?? 0) >= 2, "CASE deadlines: \(deadlines)")
                h.expect(try await overdueCases(h).contains(caseId), "OVERDUE does not list the unanswered case")

                let answer = try await b.send(
                    Made.send("test-b:esc-top-01", to: ["test-a"], kind: "referral.accepted", caseId: caseId))
                guard case .accepted = answer else { return h.fail("referral.accepted answered \(answer.name)") }
                let answeredAt = Int64(Date().timeIntervalSince1970 * 1000)
                h.expect(!(try await overdueCases(h).contains(caseId)), "OVERDUE still lists the answered case")
                try await e.idle(for: .seconds(3))
                let late = e.queuedCommands.compactMap { command -> String? in
                    guard case .deliver(let d) = command, d.kind == "escalation.notice", d.acceptedAt > answeredAt
                    else { return nil }
                    return d.id
                }
                h.expect(late.isEmpty, "reminders came after the answer: \(late)")
            }
        }

        /// test-e (a county bureau) refers to test-b; neither has anyone above it in the directory. Nothing can
        /// be sent, but the item stays overdue, and once a city bureau is added (reload) the next step tells it.
        @Test func escalationWithNoOneToNotifyWaitsForASupervisor() async throws {
            var options = DaemonOptions()
            options.heartbeatMs = 10_000
            options.escalationPolicy = Self.policy()
            try await withDaemon(options) { h in
                let (b, e) = (try h.raw("test-b"), try h.raw("test-e"))
                defer { for node in [b, e] { node.close() } }
                try await b.hello("test-b")
                try await e.hello("test-e")
                let caseId = Made.caseId()
                try await refer(h, e, b, "test-e:esc-none-01", caseId: caseId)

                var seen: [[String: Any]] = []
                try await h.eventually("CASE shows the item escalated with no one told (last: \(seen))") {
                    try await e.idle(for: .milliseconds(200))
                    seen = try await h.caseInfo(caseId)["deadlines"] as? [[String: Any]] ?? []
                    return seen.count == 1 && (seen[0]["level"] as? Int ?? 0) >= 1
                }
                h.expect(try await overdueCases(h).contains(caseId), "OVERDUE does not list the unanswered case")

                try h.daemon.writeDirectory(
                    options.nodes + [TestNode(id: "test-city", agency: "education", kind: "city-bureau", division: "350100")])
                let reloaded = try await h.reload()
                try h.require(reloaded.ok, "RELOAD answered \(reloaded.object)")
                let city = try h.raw("test-city")
                defer { city.close() }
                try await city.hello("test-city")
                let (notice, body) = try await city.escalationNotice()
                h.expect(notice.caseId == caseId && body["level"] as? Int == 1, "the city bureau's notice: \(body)")
            }
        }

        @Test func deadlineThatFellDueWhileDownFiresAfterRestart() async throws {
            try await withDaemon(Self.options(answer: "3s")) { h in
                let (a, b) = (try h.raw("test-a"), try h.raw("test-b"))
                defer { for node in [a, b] { node.close() } }
                try await a.hello("test-a")
                try await b.hello("test-b")
                let caseId = Made.caseId()
                try await refer(h, a, b, "test-a:esc-000002", caseId: caseId)
                try await h.daemon.kill9()
                try await Task.sleep(for: .seconds(4))
                try await h.daemon.start()
                let e = try h.raw("test-e")
                defer { e.close() }
                try await e.hello("test-e")
                let (deliver, body) = try await e.escalationNotice(timeout: .seconds(5))
                h.expect(deliver.caseId == caseId && body["level"] as? Int == 1, "after restart: \(body)")
            }
        }

        @Test func policyEditedWhileEscalatingKeepsTheRunningRepeat() async throws {
            try await withDaemon(Self.options(repeatEvery: "3s")) { h in
                let (a, b, e) = (try h.raw("test-a"), try h.raw("test-b"), try h.raw("test-e"))
                defer { for node in [a, b, e] { node.close() } }
                for (node, id) in [(a, "test-a"), (b, "test-b"), (e, "test-e")] { try await node.hello(id) }
                let caseId = Made.caseId()
                try await refer(h, a, b, "test-a:esc-000003", caseId: caseId)
                _ = try await e.escalationNotice()
                // The operator slows every repeat to an hour and restarts the broker.
                try Data(Self.policy(repeatEvery: "1h").utf8).write(
                    to: URL(fileURLWithPath: h.daemon.escalationPolicyPath))
                _ = try await h.daemon.terminate()
                try await h.daemon.start()
                let city = try h.raw("test-city")
                defer { city.close() }
                try await city.hello("test-city")
                let (_, body) = try await city.escalationNotice(timeout: .seconds(10))
                h.expect(body["level"] as? Int == 2, "level 2 after the edit: \(body)")
            }
        }
    }
}
