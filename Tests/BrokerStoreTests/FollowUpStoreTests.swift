import Testing

@testable import BrokerStore

/// The follow-up ops (1/RBP §7.3.2): a visit meets its party's lowest open visit number in the case, a
/// close cancels only the visits whose closers include the closing node, the conditional forms write
/// only after a stored accept, and escalated rows keep their closers.
@Suite struct FollowUpStoreTests {
    func visit(_ number: Int, _ party: String, due: Int64, caseId: String = "c1", closers: [String]? = ["hosp"])
        -> NewDeadline
    {
        NewDeadline(
            caseId: caseId, item: "visit:\(number):\(party)", dueAt: due, policy: "v1;discharge.notice;1;hosp;m;0;x",
            closers: closers)
    }

    @Test func aVisitMeetsItsPartysLowestOpenVisitNumber() throws {
        try withStore { (store: BrokerStore, _: String) throws in
            // Inserted out of order; visit 10 must not sort before visit 2 (numbers, not text).
            _ = try store.apply([
                .addDeadline(visit(10, "dir", due: 900)), .addDeadline(visit(2, "dir", due: 300)),
                .addDeadline(visit(1, "school", due: 100)), .addDeadline(visit(1, "dir", due: 100)),
                .addDeadline(visit(1, "dir", due: 100, caseId: "c2")),
                // A party whose id ends like another's must not be matched by it.
                .addDeadline(visit(1, "x-dir", due: 100)),
            ])
            let meet = StoreOp.meetFollowUpVisit(caseId: "c1", party: "dir", at: 50)
            #expect(try store.apply([meet]) == [.closedDeadlines(count: 1)])
            #expect(try store.apply([meet]) == [.closedDeadlines(count: 1)])
            let open = try store.openDeadlines(caseId: "c1").map(\.item)
            #expect(Set(open) == ["visit:1:school", "visit:1:x-dir", "visit:10:dir"])
            #expect(try store.openDeadlines(caseId: "c2").count == 1)
            #expect(try store.apply([meet]) == [.closedDeadlines(count: 1)])
            #expect(try store.apply([meet]) == [.closedDeadlines(count: 0)])
        }
    }

    @Test func onlyAClosersCloseEndsThePlanAndEscalatedRowsKeepTheirClosers() throws {
        try withStore { (store: BrokerStore, _: String) throws in
            let added = try store.apply([
                .addDeadline(visit(1, "dir", due: 100, closers: ["hosp", "sup"])),
                .addDeadline(visit(2, "dir", due: 200, closers: ["hosp", "sup"])),
                .addDeadline(visit(1, "other", due: 100, closers: nil)),
            ])
            let first = try #require(added[0].deadlineId)
            let stored = try #require(try store.deadline(id: first))
            #expect(stored.closers == ["hosp", "sup"])
            // Visit 1 escalates: its next row carries the same closers.
            var next = visit(1, "dir", due: 400, closers: stored.closers)
            next.level = 1
            _ = try store.apply([.fireDeadline(id: first, at: 101, next: next)])

            #expect(
                try store.apply([.closeFollowUp(caseId: "c1", closer: "dir", at: 150)]) == [.closedDeadlines(count: 0)])
            #expect(
                try store.apply([.closeFollowUp(caseId: "c1", closer: "su", at: 150)]) == [.closedDeadlines(count: 0)])
            #expect(
                try store.apply([.closeFollowUp(caseId: "c1", closer: "sup", at: 150)]) == [.closedDeadlines(count: 2)])
            #expect(try store.openDeadlines(caseId: "c1").map(\.item) == ["visit:1:other"])
        }
    }

    @Test func conditionalFormsWriteOnlyAfterAStoredAccept() throws {
        try withStore { (store: BrokerStore, _: String) throws in
            _ = try store.apply([.addDeadline(visit(1, "dir", due: 100))])
            let visitMessage = message("v1", from: "dir", caseId: "c1")
            let first = try store.apply([
                .accept(visitMessage), .meetFollowUpVisitIfStored(caseId: "c1", party: "dir", at: 60),
            ])
            #expect(first[1] == .closedDeadlines(count: 1))
            _ = try store.apply([.addDeadline(visit(2, "dir", due: 200))])
            // The same message again is a duplicate: it meets nothing more.
            let again = try store.apply([
                .accept(visitMessage), .meetFollowUpVisitIfStored(caseId: "c1", party: "dir", at: 61),
                .closeFollowUpIfStored(caseId: "c1", closer: "hosp", at: 61),
            ])
            #expect(again[1] == StoreOpResult.none && again[2] == StoreOpResult.none)
            #expect(try store.openDeadlines(caseId: "c1").map(\.item) == ["visit:2:dir"])
        }
    }
}
