import ReferralClient
import ReferralProtocol
import Testing

extension DaemonSuite {
    @Suite("ADMIN-1 replies as AdminCodec writes them")
    struct AdminWireTests {
        /// Every command's reply, OK and ERROR, is read by AdminCodec into its type, and the daemon's bytes are
        /// exactly what AdminCodec writes for that value: the daemon and the clients speak one codec.
        @Test func everyReplyIsTheCodecsCanonicalForm() async throws {
            try await withDaemon { h in
                let a = try h.node("test-a")
                let b = try h.node("test-b")
                let caseId = Made.caseId()
                let id = "test-a:wire-000001"
                try await a.send(Made.message(id, to: ["test-b"], caseId: caseId))
                _ = try await a.acceptedSeqs([id])
                _ = try await b.receive(count: 1)
                _ = try await a.waitForReceipts(of: id, count: 1, timeout: .seconds(20))

                let requests: [AdminRequest] = [
                    .status, .trail(.message(sender: "test-a", id: id)), .trail(.caseId(caseId)),
                    .caseInfo(caseId: caseId), .overdue(AdminRequest.OverdueFilter(region: "3501")), .reload,
                    .auditVerify, .auditExport(since: 0, limit: 1000), .caseInfo(caseId: Made.caseId()),
                    .trail(.message(sender: "test-a", id: "test-a:never-sent")),
                ]
                let connection = AdminConnection(endpoint: h.daemon.admin)
                var answers: [AdminResponse] = []
                for request in requests {
                    let (response, reply) = try await connection.exchange(request)
                    answers.append(response)
                    h.expect(
                        AdminCodec.encode(response)[2] == reply.json,
                        "\(request.command.rawValue): the daemon wrote \(String(decoding: reply.json, as: UTF8.self))")
                }
                guard case .ok(.status(let status)) = answers[0], case .ok(.trail(let trail)) = answers[1],
                    case .ok(.caseInfo(let info)) = answers[3], case .ok(.auditVerify(.intact)) = answers[6]
                else {
                    Issue.record("unexpected replies: \(answers)")
                    return
                }
                h.expect(status.nodes.contains { $0.node == "test-a" && $0.connected }, "STATUS: \(status.nodes)")
                h.expect(trail.events.first?.event == "accepted", "TRAIL: \(trail.events.map(\.event))")
                h.expect(info.caseId == caseId && !info.events.isEmpty, "CASE: \(info)")
                let unknownCase = AdminError(.notFound, "no case, message or deadline has this case id")
                h.expect(answers[8] == .error(unknownCase), "CASE of an unknown case: \(answers[8])")
                h.expect(
                    answers[9] == .error(AdminError(.notFound, "no such message or case")),
                    "TRAIL of an unknown message: \(answers[9])")
            }
        }
    }
}
