import Testing

@testable import ReferralProtocol

/// Every command encodes to frames that decode to the same command.
@Suite struct RoundTripTests {
    static let caseId = "3f2a9c1e-8b4d-4e6f-9a0b-1c2d3e4f5a6b"

    static let samples: [Command] = [
        .hello(Hello(node: "test-a")),
        .hello(Hello(node: "test-b", window: 1024, agent: "example-node/1.0 é")),
        .welcome(
            Welcome(
                node: "test-a", session: "s-42", heartbeatMs: 5000, liveness: 3, window: 64, ackTimeoutMs: 30000,
                maxHeader: 16384, maxBody: 1_048_576, maxRecipients: 64, pending: 0, receipts: 12)),
        .send(Send(id: "test-a:1", to: ["test-b"], kind: "referral.request", priority: .routine)),
        .send(
            Send(
                id: "test-a:2", to: ["test-b", "test-a"], kind: "crisis.alert", caseId: caseId, priority: .crisis,
                body: [0, 1, 2, 255])),
        .send(Send(id: "x", to: ["test-b"], kind: "a", priority: .urgent, body: Array(repeating: 7, count: 3000))),
        .accepted(Accepted(id: "test-a:1", seq: 1, duplicate: false)),
        .accepted(Accepted(id: "test-a:1", seq: Limits.maxSafeInteger, duplicate: true)),
        .rejected(Rejected(id: "test-a:3", code: .conflict, retry: false, reason: "content differs")),
        .rejected(
            Rejected(
                id: "test-a:4", code: .unknownRecipient, retry: false, reason: "unknown", field: "to",
                recipient: "no-such-node")),
        .rejected(Rejected(id: "test-a:5", code: ErrorCode(rawValue: "NEW_CODE_2"), retry: true, reason: "")),
        .deliver(
            Deliver(
                seq: 9, id: "test-a:2", from: "test-a", to: ["test-b"], kind: "discharge.notice", caseId: caseId,
                priority: .urgent, acceptedAt: 1_767_225_600_000, attempt: 2, body: Array("{}".utf8))),
        .deliver(
            Deliver(
                seq: 10, id: "i", from: "test-b", to: ["test-a", "test-b"], kind: "followup.visit",
                priority: .routine, acceptedAt: 0, attempt: 1)),
        .ack(Ack(seq: 5)),
        .nack(Nack(seq: 5, retry: true, reason: "busy")),
        .nack(Nack(seq: 6, retry: false, reason: "say \"no\" \\ 中文")),
        .receipt(
            Receipt(receipt: 1, seq: 9, id: "test-a:2", recipient: "test-b", outcome: .delivered, at: 1)),
        .receipt(
            Receipt(
                receipt: 2, seq: 9, id: "test-a:2", recipient: "test-b", outcome: .deadLettered, at: 2,
                reason: "refused")),
        .receiptAck(ReceiptAck(receipt: 2)),
        .ping, .pong, .bye,
        .error(ErrorReply(code: .notConnected, reason: "send HELLO first")),
        .error(ErrorReply(code: .badField, reason: "seq", fatal: true, command: "HELLO", field: "window")),
        .error(ErrorReply(code: .notFound, reason: "no such case", command: "QUERY", ref: "q-1")),
        .query(Query(ref: "q-1", subject: .caseView(caseId: caseId))),
        .query(Query(ref: "q-2", subject: .overdue(limit: 100))),
        .answer(
            Answer(
                ref: "q-1",
                result: .caseView(
                    CaseView(
                        caseId: caseId, status: "accepted", attempt: 2, referrer: "test-a", service: "test-b",
                        openedAt: 1, updatedAt: 2,
                        deadlines: [
                            DeadlineView(id: 1, awaiting: .delivery, party: "test-b", seq: 9, dueAt: 3, level: 0),
                            DeadlineView(
                                id: 2, awaiting: .visit, party: "test-a", number: 1, dueAt: 4, level: 2, risk: "crisis"),
                        ],
                        events: [
                            EventView(
                                at: 1, event: "acked", seq: 9, id: "test-a:2", from: "test-a", recipient: "test-b",
                                attempt: 1)
                        ],
                        truncated: true)))),
        .answer(
            Answer(
                ref: "q-2",
                result: .overdue(
                    OverdueView(items: [
                        DeadlineView(id: 2, caseId: caseId, awaiting: .answer, party: "test-b", dueAt: 4, level: 1)
                    ])))),
    ]

    @Test(arguments: samples)
    func roundTrips(_ command: Command) throws {
        let frames = Codec.encode(command)
        #expect(frames[0] == Codec.signature)
        #expect(frames[1] == Array(command.name.utf8))
        let directions: [Direction] =
            (command.isNodeToBroker ? [.nodeToBroker] : []) + (command.isBrokerToNode ? [.brokerToNode] : [])
        #expect(!directions.isEmpty)
        for direction in directions {
            #expect(try Codec.decode(frames, direction: direction).get() == command)
        }
    }

    @Test func bodyFrameOnlyWhenThereIsABody() {
        let empty = Send(id: "a", to: ["b"], kind: "k", priority: .routine)
        #expect(Codec.encode(.send(empty)).count == 3)
        var full = empty
        full.body = [1]
        #expect(Codec.encode(.send(full)).count == 4)
        #expect(Codec.encode(.ping).count == 3)
    }

    @Test func everyCommandHasASample() {
        let names = Set(Self.samples.map(\.name))
        #expect(names == Set(CommandKind.allCases.map(\.name)))
    }
}
