import ReferralClient
import ReferralProtocol
import Testing

@testable import ReferralGateway

/// The case and overdue views' documents (GATEWAY-1 `CaseView`, `OverdueView`) and the problems a failed query
/// becomes.
@Suite("Gateway: case views")
struct CaseViewAnswerTests {
    static let caseId = "3f2a9c1e-8b4d-4e6f-9a0b-1c2d3e4f5a6b"

    @Test func aCaseViewIsTheWiresMembersWithoutAbsentOnes() throws {
        let view = CaseView(
            caseId: Self.caseId, status: "requested", attempt: 1, referrer: "test-a", service: "test-b",
            openedAt: 10, updatedAt: 11,
            deadlines: [DeadlineView(id: 8, awaiting: .answer, party: "test-b", dueAt: 20, level: 0, risk: "urgent")],
            events: [EventView(at: 10, event: "accepted", seq: 1042, id: "test-a:000001", from: "test-a")])
        let text = String(decoding: Answers.caseView(view), as: UTF8.self)
        #expect(
            text == """
                {"case":"\(Self.caseId)","status":"requested","attempt":1,"referrer":"test-a","service":"test-b",\
                "opened_at":10,"updated_at":11,"deadlines":[{"id":8,"awaiting":"answer","party":"test-b","due_at":20,\
                "level":0,"risk":"urgent"}],"events":[{"at":10,"event":"accepted","seq":1042,"id":"test-a:000001",\
                "from":"test-a"}],"truncated":false}
                """)
        let untracked = String(decoding: Answers.caseView(CaseView(caseId: Self.caseId)), as: UTF8.self)
        #expect(untracked == "{\"case\":\"\(Self.caseId)\",\"deadlines\":[],\"events\":[],\"truncated\":false}")
        let overdue = OverdueView(
            items: [
                DeadlineView(
                    id: 3, caseId: Self.caseId, awaiting: .visit, party: "test-c", number: 2, dueAt: 5, level: 1)
            ],
            truncated: true)
        #expect(
            String(decoding: Answers.overdueView(overdue), as: UTF8.self)
                == "{\"items\":[{\"id\":3,\"case\":\"\(Self.caseId)\",\"awaiting\":\"visit\",\"party\":\"test-c\","
                + "\"number\":2,\"due_at\":5,\"level\":1}],\"truncated\":true}")
    }

    @Test func aFailedQueryBecomesItsProblem() {
        let notFound = GatewayServer.viewProblem(ReferralQueryError.notFound, node: "test-c", caseId: Self.caseId)
        #expect(notFound.status == 404 && notFound.slug == "unknown-case" && notFound.field == "case")
        for error: any Error in [
            ReferralQueryError.notConnected, ReferralQueryError.unsupported, ReferralClientError.timedOut,
            ReferralQueryError.refused(code: "RATE_LIMITED", reason: "later"),
        ] {
            let problem = GatewayServer.viewProblem(error, node: "test-c", caseId: nil)
            #expect(problem.status == 503 && problem.slug == "unavailable", "\(error)")
        }
        #expect(
            GatewayServer.viewProblem(
                ReferralQueryError.refused(code: "RATE_LIMITED", reason: ""), node: "x", caseId: nil
            )
            .code == "RATE_LIMITED")
    }
}
