import Foundation
import ReferralClient
import ReferralProtocol
import Testing

extension DaemonSuite {
    /// `referralctl case ID` shows a case's open deadlines (issue 4: "status, timeline of every message and event,
    /// open deadlines"), for a tracked referral case and for a case id that only has messages and deadlines.
    /// Answers are due in an hour, so nothing fires during a test; made-up data only.
    @Suite("case deadlines")
    struct CaseDeadlineTests {
        static func options() -> DaemonOptions {
            var options = DaemonOptions()
            // Raw nodes answer PINGs only while a test reads them.
            options.heartbeatMs = 10_000
            options.escalationPolicy = """
                {"version": 1, "levels": {
                 "routine": {"delivery": "off", "answer": "1h", "repeat": "1h", "max_steps": 3, "clock": "continuous"},
                 "crisis": {"delivery": "off", "answer": "1h", "repeat": "1h", "max_steps": 1, "clock": "continuous",
                            "fan_out": true}}}
                """
            return options
        }

        /// `referralctl case ID` (human form): its stdout, after checking it exited 0.
        func caseText(_ h: Harness, _ caseId: String) async throws -> String {
            let run = try await h.referralctl(["case", caseId, "--admin", h.daemon.admin])
            try h.require(run.status == 0, "referralctl case exited \(run.status): \(run.stdout) \(run.stderr)")
            return run.stdout
        }

        /// A referral request opens test-b's answer deadline: listed (an hour ahead, level 0, routine) by
        /// `referralctl case --json` and named "answer from test-b" by the human form; test-b's
        /// `referral.received` meets it and it is no longer listed.
        @Test func openAnswerDeadlineIsListedUntilTheRecipientAnswers() async throws {
            try await withDaemon(Self.options()) { h in
                let (a, b) = (try h.raw("test-a"), try h.raw("test-b"))
                defer { for node in [a, b] { node.close() } }
                try await a.hello("test-a")
                try await b.hello("test-b")
                let caseId = Made.caseId()
                let sentAt = Int64(Date().timeIntervalSince1970 * 1000)
                let request = try await a.send(
                    Made.send("test-a:deadline-000001", to: ["test-b"], kind: "referral.request", caseId: caseId))
                guard case .accepted = request else { return h.fail("referral.request answered \(request.name)") }

                let info = try await h.caseInfo(caseId)
                h.expect(info["status"] as? String == "requested", "status: \(info)")
                let deadlines = info["deadlines"] as? [[String: Any]] ?? []
                try h.require(deadlines.count == 1, "open deadlines: \(deadlines)")
                let answer = deadlines[0]
                h.expect(answer["party"] as? String == "test-b", "party: \(answer)")
                h.expect(answer["awaiting"] as? String == "answer", "awaiting: \(answer)")
                h.expect((answer["kinds"] as? [String])?.contains("referral.received") == true, "kinds: \(answer)")
                h.expect((answer["item"] as? String)?.hasPrefix("answer:test-b:") == true, "item: \(answer)")
                h.expect(answer["level"] as? Int == 0 && answer["risk"] as? String == "routine", "\(answer)")
                let due = (answer["due_at"] as? NSNumber)?.int64Value ?? 0
                h.expect(
                    due >= sentAt + 3_000_000 && due <= sentAt + 3_700_000, "due_at \(due), sent at \(sentAt)")

                let text = try await caseText(h, caseId)
                h.expect(text.contains("open deadlines: 1"), "no deadline count: \(text)")
                h.expect(text.contains("answer from test-b") && text.contains("level 0"), "no deadline line: \(text)")
                h.expect(!text.contains("OVERDUE"), "an hour ahead shown as overdue: \(text)")

                let received = try await b.send(
                    Made.send("test-b:deadline-000001", to: ["test-a"], kind: "referral.received", caseId: caseId))
                guard case .accepted = received else { return h.fail("referral.received answered \(received.name)") }
                let after = try await h.caseInfo(caseId)
                h.expect(after["status"] as? String == "received", "status after the answer: \(after)")
                h.expect((after["deadlines"] as? [Any])?.isEmpty == true, "deadlines after the answer: \(after)")
                let textAfter = try await caseText(h, caseId)
                h.expect(textAfter.contains("open deadlines: none"), "after the answer: \(textAfter)")
            }
        }

        /// A crisis alert with a case id opens no referral case, but the case id has a message and deadlines: CASE
        /// answers without a status, with the timeline and the acknowledgment deadline.
        @Test func caseIdWithoutReferralCaseShowsTimelineAndDeadlines() async throws {
            try await withDaemon(Self.options()) { h in
                let a = try h.raw("test-a")
                defer { a.close() }
                try await a.hello("test-a")
                let caseId = Made.caseId()
                let alert = try await a.send(
                    Made.send(
                        "test-a:deadline-crisis-01", to: ["test-b"], kind: "crisis.alert", caseId: caseId,
                        priority: .crisis))
                guard case .accepted = alert else { return h.fail("crisis.alert answered \(alert.name)") }

                let info = try await h.caseInfo(caseId)
                h.expect(info["status"] == nil && info["referrer"] == nil, "an untracked case has a status: \(info)")
                h.expect(info["case"] as? String == caseId, "case: \(info)")
                let events = info["events"] as? [[String: Any]] ?? []
                h.expect(events.contains { $0["event"] as? String == "accepted" }, "timeline: \(events)")
                let deadlines = info["deadlines"] as? [[String: Any]] ?? []
                h.expect(
                    deadlines.contains {
                        $0["party"] as? String == "test-b" && $0["awaiting"] as? String == "answer"
                            && $0["risk"] as? String == "crisis"
                    }, "deadlines: \(deadlines)")

                let text = try await caseText(h, caseId)
                h.expect(
                    text.contains("a case of crisis.alert, tracked without a referral status"), "status line: \(text)")
                h.expect(text.contains("acknowledgment from test-b"), "deadline line: \(text)")
            }
        }
    }
}
