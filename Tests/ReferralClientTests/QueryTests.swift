import Foundation
import ReferralClientTestKit
import ReferralProtocol
import Testing

@testable import ReferralClient

/// `caseView` and `overdue` (1/RBP QUERY) against a scripted fake broker: answers matched by `ref`, NOT_FOUND, an
/// old broker's UNKNOWN_COMMAND, and no session.
@Suite(.serialized, .timeLimit(.minutes(1))) struct QueryTests {
    static let caseId = "3f2a9c1e-8b4d-4e6f-9a0b-1c2d3e4f5a6b"

    func connected(_ broker: FakeBroker, in directory: TemporaryDirectory) async throws -> ReferralNode {
        let node = try ReferralNode(configuration: fastConfiguration(in: directory, broker: broker.endpoint))
        node.start()
        let deadline = ContinuousClock.now + .seconds(10)
        while !node.isConnected && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        return node
    }

    @Test func answersAreMatchedByRefAndNotFoundIsThrown() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        let broker = try FakeBroker { command in
            guard case .query(let query) = command else { return FakeBroker.standard(command) }
            switch query.subject {
            case .caseView(let caseId) where caseId == Self.caseId:
                // Another query's answer first: it must not be taken for this one.
                let other = Answer(ref: "not-\(query.ref)", result: .overdue(OverdueView(items: [])))
                let view = CaseView(caseId: caseId, status: "requested", referrer: "test-a", service: "test-b")
                return [.answer(other), .answer(Answer(ref: query.ref, result: .caseView(view)))]
            case .caseView:
                return [.error(ErrorReply(code: .notFound, reason: "no such case", command: "QUERY", ref: query.ref))]
            case .overdue(let limit):
                let item = DeadlineView(
                    id: Int64(limit), caseId: Self.caseId, awaiting: .answer, party: "test-a", dueAt: 1, level: 0)
                return [.answer(Answer(ref: query.ref, result: .overdue(OverdueView(items: [item]))))]
            }
        }
        defer { broker.stop() }
        let node = try await connected(broker, in: directory)
        let view = try await node.caseView(Self.caseId.uppercased(), timeout: .seconds(5))
        #expect(view.status == "requested" && view.service == "test-b")
        await #expect(throws: ReferralQueryError.notFound) {
            try await node.caseView("0c0ffee0-0000-4000-8000-000000000001", timeout: .seconds(5))
        }
        #expect(try await node.overdue(limit: 7, timeout: .seconds(5)).items.map(\.id) == [7])
        await node.shutdown()
    }

    @Test func anOldBrokersUnknownCommandMeansUnsupported() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        let broker = try FakeBroker { command in
            guard case .query = command else { return FakeBroker.standard(command) }
            return [.error(ErrorReply(code: .unknownCommand, reason: "frame 2 is not an RBP command"))]
        }
        defer { broker.stop() }
        let node = try await connected(broker, in: directory)
        await #expect(throws: ReferralQueryError.unsupported) { try await node.overdue(timeout: .seconds(5)) }
        await node.shutdown()
    }

    @Test func noSessionAndSilenceFailPromptly() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        let silent = try FakeBroker { command in
            if case .query = command { return [] }
            return FakeBroker.standard(command)
        }
        defer { silent.stop() }
        let node = try await connected(silent, in: directory)
        await #expect(throws: ReferralClientError.timedOut) { try await node.overdue(timeout: .milliseconds(300)) }
        await node.shutdown()

        let probe = try FakeBroker()
        let endpoint = probe.endpoint
        probe.stop()
        let orphan = try ReferralNode(configuration: fastConfiguration(in: directory, broker: endpoint, node: "test-b"))
        orphan.start()
        await #expect(throws: ReferralQueryError.notConnected) { try await orphan.caseView(Self.caseId) }
        await orphan.shutdown()
    }
}
