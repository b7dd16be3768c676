import Foundation
import ReferralClient
import ReferralProtocol
import Testing

extension DaemonSuite {
    /// Case tracking through the real daemon (issue 4, 1/RBP §7.3): the referral loop, illegal and forbidden
    /// moves, decline and re-route, and a restart. Raw nodes, so every answer is seen as the broker sent it.
    @Suite("case tracking")
    struct CaseTests {
        /// Sends one made-up message of `kind` in `caseId` and returns the broker's answer.
        func move(
            _ node: RawNode, _ id: String, _ kind: String, caseId: String, to: [String]
        ) async throws -> Command {
            try await node.send(Made.send(id, to: to, kind: kind, caseId: caseId))
        }

        func expectAccepted(_ h: Harness, _ answer: Command, _ what: String) {
            if case .accepted(let accepted) = answer {
                h.expect(!accepted.duplicate, "\(what) was a duplicate")
            } else if case .rejected(let rejected) = answer {
                h.fail("\(what) was REJECTED \(rejected.code): \(rejected.reason)")
            } else {
                h.fail("\(what) was answered \(answer.name)")
            }
        }

        func expectRejected(
            _ h: Harness, _ answer: Command, _ code: ErrorCode, naming status: String, _ what: String
        ) {
            guard case .rejected(let rejected) = answer else { return h.fail("\(what) was answered \(answer.name)") }
            h.expect(rejected.code == code, "\(what): \(rejected.code), wanted \(code)")
            h.expect(!rejected.retry, "\(what): retry true")
            h.expect(rejected.reason.contains("status \(status)"), "\(what): reason \(rejected.reason)")
        }

        /// test-a refers to test-b, which answers received, accepted, appointment, completed: every move is
        /// ACCEPTED, `referralctl case` shows completed and a timeline of the five messages; a late
        /// `referral.accepted` is ILLEGAL_TRANSITION naming `completed`, and nothing of it is stored.
        @Test func fullReferralLoopToCompleted() async throws {
            try await withDaemon { h in
                let a = try h.raw("test-a")
                defer { a.close() }
                try await a.hello("test-a")
                let b = try h.raw("test-b")
                defer { b.close() }
                try await b.hello("test-b")
                let caseId = Made.caseId()

                expectAccepted(
                    h, try await move(a, "test-a:case-000001", "referral.request", caseId: caseId, to: ["test-b"]),
                    "referral.request")
                let loop = ["referral.received", "referral.accepted", "referral.appointment", "referral.completed"]
                for (index, kind) in loop.enumerated() {
                    expectAccepted(
                        h,
                        try await move(
                            b, String(format: "test-b:case-%06d", index + 1), kind, caseId: caseId, to: ["test-a"]),
                        kind)
                }
                expectRejected(
                    h, try await move(b, "test-b:case-000009", "referral.accepted", caseId: caseId, to: ["test-a"]),
                    .illegalTransition, naming: "completed", "referral.accepted after completed")
                h.expect(
                    try await h.trail(sender: "test-b", id: "test-b:case-000009").isEmpty,
                    "the refused move was stored")
                // A resend of a move stored before the case moved on (its ACCEPTED lost) is still a duplicate,
                // not a case error.
                let resent = try await move(
                    b, "test-b:case-000002", "referral.accepted", caseId: caseId, to: ["test-a"])
                if case .accepted(let accepted) = resent {
                    h.expect(accepted.duplicate, "the resend was not a duplicate")
                } else {
                    h.fail("the resend of referral.accepted was answered \(resent.name)")
                }

                let info = try await h.caseInfo(caseId)
                h.expect(info["status"] as? String == "completed", "status: \(info)")
                h.expect(info["referrer"] as? String == "test-a", "referrer: \(info)")
                h.expect(info["service"] as? String == "test-b", "service: \(info)")
                h.expect(info["attempt"] as? Int == 1, "attempt: \(info)")
                let events = info["events"] as? [[String: Any]] ?? []
                let kinds = events.filter { $0["event"] as? String == "accepted" }
                    .compactMap { ($0["detail"] as? String)?.split(separator: " ").first.map(String.init) }
                h.expect(
                    kinds == ["kind=referral.request"] + loop.map { "kind=\($0)" }, "timeline: \(kinds)")

                let text = try await h.referralctl(["case", caseId, "--admin", h.daemon.admin])
                h.expect(
                    text.status == 0 && text.stdout.contains("completed") && text.stdout.contains("referral.completed"),
                    "referralctl case: \(text.stdout) \(text.stderr)")
                let unknown = try await h.referralctl(["case", Made.caseId(), "--admin", h.daemon.admin])
                h.expect(unknown.status == 1, "referralctl case for an unknown case exited \(unknown.status)")
            }
        }

        /// The wrong party: a health referrer (test-d, which the policy lets send every referral kind) trying
        /// `referral.accepted` in its own case, and the service trying `referral.cancelled`, are FORBIDDEN_MOVE
        /// naming the status; a second request in the open case is ILLEGAL_TRANSITION; a move in an unknown case
        /// is UNKNOWN_CASE. The case is unchanged.
        @Test func wrongRoleIsForbiddenMove() async throws {
            try await withDaemon { h in
                let d = try h.raw("test-d")
                defer { d.close() }
                try await d.hello("test-d")
                let b = try h.raw("test-b")
                defer { b.close() }
                try await b.hello("test-b")
                let caseId = Made.caseId()
                expectAccepted(
                    h, try await move(d, "test-d:case-000001", "referral.request", caseId: caseId, to: ["test-b"]),
                    "referral.request")
                expectRejected(
                    h, try await move(d, "test-d:case-000002", "referral.accepted", caseId: caseId, to: ["test-b"]),
                    .forbiddenMove, naming: "requested", "the referrer's referral.accepted")
                expectRejected(
                    h, try await move(b, "test-b:case-000001", "referral.cancelled", caseId: caseId, to: ["test-d"]),
                    .forbiddenMove, naming: "requested", "the service's referral.cancelled")
                expectRejected(
                    h, try await move(d, "test-d:case-000003", "referral.request", caseId: caseId, to: ["test-b"]),
                    .illegalTransition, naming: "requested", "a second referral.request")
                let unknown = try await move(
                    b, "test-b:case-000002", "referral.received", caseId: Made.caseId(), to: ["test-d"])
                if case .rejected(let rejected) = unknown {
                    h.expect(rejected.code == .unknownCase && !rejected.retry, "unknown case: \(rejected.code)")
                } else {
                    h.fail("a move in an unknown case was answered \(unknown.name)")
                }
                let info = try await h.caseInfo(caseId)
                h.expect(info["status"] as? String == "requested", "status: \(info)")
            }
        }

        /// test-b declines; test-a re-routes the same case to test-d (a health hospital), which accepts: the case
        /// is accepted, service test-d, attempt 2. test-b can no longer move it.
        @Test func declineThenReroute() async throws {
            try await withDaemon { h in
                let a = try h.raw("test-a")
                defer { a.close() }
                try await a.hello("test-a")
                let b = try h.raw("test-b")
                defer { b.close() }
                try await b.hello("test-b")
                let d = try h.raw("test-d")
                defer { d.close() }
                try await d.hello("test-d")
                let caseId = Made.caseId()
                expectAccepted(
                    h, try await move(a, "test-a:route-000001", "referral.request", caseId: caseId, to: ["test-b"]),
                    "referral.request to test-b")
                expectAccepted(
                    h, try await move(b, "test-b:route-000001", "referral.declined", caseId: caseId, to: ["test-a"]),
                    "referral.declined")
                expectAccepted(
                    h, try await move(a, "test-a:route-000002", "referral.request", caseId: caseId, to: ["test-d"]),
                    "referral.request to test-d")
                expectRejected(
                    h, try await move(b, "test-b:route-000002", "referral.accepted", caseId: caseId, to: ["test-a"]),
                    .forbiddenMove, naming: "requested", "the old service's referral.accepted")
                expectAccepted(
                    h, try await move(d, "test-d:route-000001", "referral.accepted", caseId: caseId, to: ["test-a"]),
                    "referral.accepted from test-d")
                let info = try await h.caseInfo(caseId)
                h.expect(info["status"] as? String == "accepted", "status: \(info)")
                h.expect(info["service"] as? String == "test-d", "service: \(info)")
                h.expect(info["attempt"] as? Int == 2, "attempt: \(info)")
            }
        }

        /// The case state survives `kill -9`: after a restart the loop goes on from where it was (accepted), an
        /// illegal move still names that status, the loop completes, and after another restart the closed case is
        /// still known.
        @Test func caseSurvivesRestart() async throws {
            try await withDaemon { h in
                let caseId = Made.caseId()
                do {
                    let a = try h.raw("test-a")
                    defer { a.close() }
                    try await a.hello("test-a")
                    let b = try h.raw("test-b")
                    defer { b.close() }
                    try await b.hello("test-b")
                    expectAccepted(
                        h,
                        try await move(a, "test-a:restart-000001", "referral.request", caseId: caseId, to: ["test-b"]),
                        "referral.request")
                    expectAccepted(
                        h,
                        try await move(b, "test-b:restart-000001", "referral.accepted", caseId: caseId, to: ["test-a"]),
                        "referral.accepted")
                }
                try await h.daemon.kill9()
                try await h.daemon.start()
                let b = try h.raw("test-b")
                defer { b.close() }
                try await b.hello("test-b")
                expectRejected(
                    h, try await move(b, "test-b:restart-000002", "referral.received", caseId: caseId, to: ["test-a"]),
                    .illegalTransition, naming: "accepted", "referral.received after the restart")
                for (index, kind) in [
                    "referral.appointment", "referral.no-show", "referral.appointment", "referral.completed",
                ]
                .enumerated() {
                    expectAccepted(
                        h,
                        try await move(
                            b, String(format: "test-b:restart-%06d", index + 3), kind, caseId: caseId, to: ["test-a"]),
                        "\(kind) after the restart")
                }
                let info = try await h.caseInfo(caseId)
                h.expect(info["status"] as? String == "completed", "status: \(info)")
                // A closed case is remembered across a restart too: a late move names its real status.
                try await h.daemon.kill9()
                try await h.daemon.start()
                let late = try h.raw("test-b")
                defer { late.close() }
                try await late.hello("test-b")
                expectRejected(
                    h,
                    try await move(late, "test-b:restart-000099", "referral.accepted", caseId: caseId, to: ["test-a"]),
                    .illegalTransition, naming: "completed", "referral.accepted in a completed case after a restart")
            }
        }
    }
}
