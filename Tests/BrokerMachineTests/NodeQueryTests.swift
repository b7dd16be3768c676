import ReferralProtocol
import StoreModel
import Testing

@testable import BrokerMachine

/// A node's QUERY (1/RBP §7.14): who may see what of a case and of the overdue items (`NodeView`, pure), and how the
/// machine reads off the poll loop and answers, driven with no sockets and a hand-moved clock.
@Suite struct NodeQueryTests {
    static let caseId = "3f2a9c1e-8b4d-4e6f-9a0b-1c2d3e4f5a6b"
    static let at: Int64 = 1_772_413_200_000

    /// A referral from school to clinic (seq 7), delivered and acked; a copy to a supervisor (seq 8) that school
    /// sent too; a message from clinic to a hospital (seq 9) that school neither sent nor received.
    static func info() -> CaseInfo {
        func event(_ name: TrailEventName, _ seq: Int64, _ sender: String, _ recipient: String?, _ offset: Int64)
            -> TrailEntry
        {
            TrailEntry(
                at: at + offset, event: name, seq: seq, messageId: "m-\(seq)", sender: sender, recipient: recipient,
                attempt: recipient == nil ? nil : 1, detail: "routing detail")
        }
        let events = [
            event(.accepted, 7, "school", nil, 0), event(.deliveryAttempt, 7, "school", "clinic", 1),
            event(.acked, 7, "school", "clinic", 2), event(.accepted, 9, "clinic", nil, 3),
            event(.deliveryAttempt, 9, "clinic", "hospital", 4), event(.deliveryAttempt, 9, "clinic", "bureau", 5),
        ]
        let record = CaseRecord(
            caseId: caseId, status: "received", referrer: "school", service: "clinic", attempt: 1, openedAt: at,
            updatedAt: at + 10, risk: "urgent")
        let deadlines = [
            deadline(1, "answer:clinic:referral.accepted,referral.declined", sender: "school"),
            deadline(2, "delivery:9:hospital", sender: "clinic"),
            deadline(3, "visit:1:bureau", sender: "clinic"),
        ]
        return CaseInfo(
            caseId: caseId, record: record, events: events, deadlines: deadlines, deadlinesTruncated: false)
    }

    static func deadline(_ id: Int64, _ item: String, sender: String, caseId: String? = caseId, level: Int = 0)
        -> DeadlineRecord
    {
        DeadlineRecord(
            id: id, caseId: caseId, item: item, dueAt: at + id * 1000, level: level,
            notice: DeadlineNotice(
                kind: "referral.request", armedBy: 7, sender: sender, messageId: "m-7", originalDue: at),
            policy: "", state: .open, createdAt: at, closedAt: nil, region: "350102", agency: "health", risk: "urgent")
    }

    @Test func theReferrerSeesTheStatusItsDeadlinesAndOnlyItsMessagesEvents() throws {
        let view = try #require(NodeView.caseView(Self.info(), for: "school"))
        #expect(view.status == "received" && view.referrer == "school" && view.service == "clinic")
        // The answer it awaits from the clinic (set by its referral), not the clinic's own message's deadlines.
        #expect(view.deadlines.map(\.id) == [1])
        #expect(view.deadlines.first?.awaiting == .answer && view.deadlines.first?.party == "clinic")
        #expect(Set(view.events.map(\.seq)) == [7])
    }

    @Test func theServiceSeesWhatItOwesAndItsOwnMessage() throws {
        let view = try #require(NodeView.caseView(Self.info(), for: "clinic"))
        #expect(view.status == "received")
        #expect(view.deadlines.map(\.id) == [1, 2, 3])
        #expect(view.events.count == 6)
    }

    @Test func aRecipientSeesOnlyItsOwnDeliveryOfAMessageItDidNotSend() throws {
        let view = try #require(NodeView.caseView(Self.info(), for: "hospital"))
        #expect(view.events.map(\.event) == ["accepted", "delivery-attempt"])
        #expect(view.events.allSatisfy { $0.recipient == nil || $0.recipient == "hospital" })
        #expect(view.deadlines.map(\.id) == [2])
        #expect(view.deadlines.first?.awaiting == .delivery && view.deadlines.first?.seq == 9)
    }

    @Test func aPartyOfADeadlineOnlySeesTheCase() throws {
        var info = Self.info()
        info.events = info.events.filter { $0.recipient != "bureau" }
        let view = try #require(NodeView.caseView(info, for: "bureau"))
        #expect(view.deadlines.map(\.id) == [3] && view.deadlines.first?.number == 1)
        #expect(view.events.isEmpty)
    }

    @Test func aNodeWithNothingToDoWithTheCaseSeesNothing() {
        #expect(NodeView.caseView(Self.info(), for: "stranger") == nil)
        #expect(
            NodeView.caseView(
                CaseInfo(
                    caseId: Self.caseId, record: nil, events: [], deadlines: [],
                    deadlinesTruncated: false), for: "school") == nil)
    }

    @Test func overdueListsThePartysItemsTheSendersAndTheReferrersOnly() {
        let records = [
            Self.deadline(1, "answer:clinic:referral.accepted", sender: "school"),
            Self.deadline(2, "delivery:9:hospital", sender: "clinic"),
            Self.deadline(3, "visit:1:bureau", sender: "clinic"),
            Self.deadline(4, "delivery:12:other", sender: "elsewhere", caseId: "0c0ffee0-0000-4000-8000-000000000001"),
        ]
        let referrers = [Self.caseId: "school"]
        let school = NodeView.overdueView(records, referrers: referrers, for: "school", limit: 20)
        #expect(school.items.map(\.id) == [1, 2, 3] && !school.truncated)
        let hospital = NodeView.overdueView(records, referrers: referrers, for: "hospital", limit: 20)
        #expect(hospital.items.map(\.id) == [2])
        #expect(hospital.items.first?.caseId == Self.caseId)
        #expect(NodeView.overdueView(records, referrers: referrers, for: "stranger", limit: 20).items.isEmpty)
        let cut = NodeView.overdueView(records, referrers: referrers, for: "clinic", limit: 2)
        #expect(cut.items.map(\.id) == [1, 2] && cut.truncated)
    }

    @Test func anAnswerTooLargeForOneHeaderDropsTheOldestEventsAndSaysSo() throws {
        var view = try #require(NodeView.caseView(Self.info(), for: "clinic"))
        view.events = (1...400).map {
            EventView(at: Self.at + $0, event: "acked", seq: $0, id: "m-\($0)", from: "clinic", recipient: "school")
        }
        let fitted = NodeView.fitted(Answer(ref: "q-1", result: .caseView(view)), maxHeader: 16384)
        #expect(Codec.encode(.answer(fitted))[2].count <= 16384)
        guard case .caseView(let cut) = fitted.result else {
            Issue.record("not a case")
            return
        }
        #expect(cut.truncated && cut.events.count < 400 && cut.events.last?.seq == 400)
        #expect(cut.deadlines.count == 3)
    }

    @Test func theMachineReadsOffTheLoopAndAnswersWithTheRef() throws {
        var rig = try Rig()
        let school = rig.connect("gl-school-1")
        let asked = rig.command(
            .query(Query(ref: "q-1", subject: .caseView(caseId: Self.caseId.uppercased()))), on: school)
        #expect(asked.commands.isEmpty)
        let reads = asked.requests.compactMap { request -> (NodeQueryRead, NodeQueryTicket)? in
            if case .nodeQuery(let read, let ticket) = request { (read, ticket) } else { nil }
        }
        let (read, ticket) = try #require(reads.first)
        #expect(read == .caseInfo(caseId: Self.caseId) && ticket.node == "gl-school-1" && ticket.ref == "q-1")

        // The store found a case this node has nothing to do with: NOT_FOUND, like a case that does not exist.
        let foreign = rig.stored(.nodeQuery(.caseInfo(Self.info()), ticket))
        #expect(foreign.errors.map(\.code) == [.notFound] && foreign.errors.first?.ref == "q-1")
        #expect(foreign.sends.map(\.to) == [school])
        let missing = rig.stored(
            .nodeQuery(
                .caseInfo(
                    CaseInfo(
                        caseId: Self.caseId, record: nil, events: [], deadlines: [],
                        deadlinesTruncated: false)), ticket))
        #expect(missing.errors == foreign.errors)

        var mine = Self.info()
        mine.record?.referrer = "gl-school-1"
        let answered = rig.stored(.nodeQuery(.caseInfo(mine), ticket))
        guard case .answer(let answer)? = answered.commands.first else {
            Issue.record("no ANSWER: \(answered)")
            return
        }
        #expect(answer.ref == "q-1")
        guard case .caseView(let view) = answer.result else {
            Issue.record("not a case")
            return
        }
        #expect(view.status == "received" && view.referrer == "gl-school-1")

        let failed = rig.stored(.nodeQuery(.failed, ticket))
        #expect(failed.errors.map(\.code) == [.storeFailed] && failed.errors.first?.ref == "q-1")
    }

    @Test func overdueQueriesAreRateLimitedLikeSendsAndAnswerNothingToALostSession() throws {
        var rig = try Rig(configure: {
            $0.ratePerSecond = 1
            $0.rateBurst = 1
        })
        let school = rig.connect("gl-school-1")
        let first = rig.command(.query(Query(ref: "q-1", subject: .overdue(limit: 5))), on: school)
        let ticket = try #require(
            first.requests.compactMap { request -> NodeQueryTicket? in
                if case .nodeQuery(.overdue(let now), let ticket) = request, now == rig.now { ticket } else { nil }
            }.first)
        #expect(ticket.limit == 5)
        let second = rig.command(.query(Query(ref: "q-2", subject: .overdue(limit: 5))), on: school)
        #expect(second.errors.map(\.code) == [.rateLimited] && second.errors.first?.ref == "q-2")
        #expect(second.requests.allSatisfy { if case .nodeQuery = $0 { false } else { true } })

        _ = rig.command(.bye, on: school)
        let late = rig.stored(.nodeQuery(.overdue([], referrers: [:]), ticket))
        #expect(late.commands.isEmpty)
    }

    @Test func aQueryOutsideASessionIsNotConnectedWithItsRef() throws {
        var rig = try Rig()
        let connection = rig.connection()
        let actions = rig.command(.query(Query(ref: "q-9", subject: .overdue(limit: 1))), on: connection)
        #expect(actions.errors.map(\.code) == [.notConnected] && actions.errors.first?.ref == "q-9")
    }
}
