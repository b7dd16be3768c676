import Testing

@testable import BrokerStore

/// The follow-up ops (1/RBP §7.3.2): a visit meets its party's lowest open visit number in the case, a
/// close cancels only the visits whose closers include the closing node, an accept unit's follow-up effect is
/// written only when its message is stored, and escalated rows keep their closers.
@Suite struct FollowUpStoreTests {
    func visit(_ number: Int, _ party: String, due: Int64, caseId: String = "c1", closers: [String]? = ["hosp"])
        -> NewDeadline
    {
        NewDeadline(
            caseId: caseId, item: .text("visit:\(number):\(party)"), dueAt: due, notice: testNotice(), policy: "x",
            closers: closers)
    }

    @Test func aVisitMeetsItsPartysLowestOpenVisitNumber() throws {
        try withStore { (store: BrokerStore, _: String) throws in
            // Inserted out of order; visit 10 must not sort before visit 2 (numbers, not text).
            _ = try store.run([
                .setDeadline(visit(10, "dir", due: 900)), .setDeadline(visit(2, "dir", due: 300)),
                .setDeadline(visit(1, "school", due: 100)), .setDeadline(visit(1, "dir", due: 100)),
                .setDeadline(visit(1, "dir", due: 100, caseId: "c2")),
                // A party whose id ends like another's must not be matched by it.
                .setDeadline(visit(1, "x-dir", due: 100)),
            ])
            let meet = StoreUnit.closeDeadlines(.followUpVisit(caseId: "c1", party: "dir"), at: 50)
            #expect(try store.run([meet]) == [.closed(count: 1)])
            #expect(try store.run([meet]) == [.closed(count: 1)])
            let open = try store.openDeadlines(caseId: "c1").map(\.item)
            #expect(Set(open) == ["visit:1:school", "visit:1:x-dir", "visit:10:dir"])
            #expect(try store.openDeadlines(caseId: "c2").count == 1)
            #expect(try store.run([meet]) == [.closed(count: 1)])
            #expect(try store.run([meet]) == [.closed(count: 0)])
        }
    }

    @Test func onlyAClosersCloseEndsThePlanAndEscalatedRowsKeepTheirClosers() throws {
        try withStore { (store: BrokerStore, _: String) throws in
            let added = try store.run([
                .setDeadline(visit(1, "dir", due: 100, closers: ["hosp", "sup"])),
                .setDeadline(visit(2, "dir", due: 200, closers: ["hosp", "sup"])),
                .setDeadline(visit(1, "other", due: 100, closers: nil)),
            ])
            let first = try #require(added[0].deadlineId)
            let stored = try #require(try store.deadline(id: first))
            #expect(stored.closers == ["hosp", "sup"])
            // Visit 1 escalates: its next row carries the same closers.
            var next = visit(1, "dir", due: 400, closers: stored.closers)
            next.level = 1
            _ = try store.run([.fire(FireUnit(deadlineId: first, at: 101, next: next))])

            #expect(
                try store.run([.closeDeadlines(.followUpPlan(caseId: "c1", closer: "dir"), at: 150)]) == [
                    .closed(count: 0)
                ])
            #expect(
                try store.run([.closeDeadlines(.followUpPlan(caseId: "c1", closer: "su"), at: 150)]) == [
                    .closed(count: 0)
                ])
            #expect(
                try store.run([.closeDeadlines(.followUpPlan(caseId: "c1", closer: "sup"), at: 150)]) == [
                    .closed(count: 2)
                ])
            #expect(try store.openDeadlines(caseId: "c1").map(\.item) == ["visit:1:other"])
        }
    }

    @Test func anAcceptUnitsFollowUpEffectIsWrittenOnlyWhenItsMessageIsStored() throws {
        try withStore { (store: BrokerStore, _: String) throws in
            _ = try store.run([.setDeadline(visit(1, "dir", due: 100))])
            let visitMessage = message("v1", from: "dir", caseId: "c1")
            let first = try store.run([
                .accept(AcceptUnit(message: visitMessage, closes: [.followUpVisit(caseId: "c1", party: "dir")]))
            ])
            #expect(first[0].storedSeq != nil)
            #expect(try store.openDeadlineCount() == 0)
            _ = try store.run([.setDeadline(visit(2, "dir", due: 200))])
            // The same message again is a duplicate: it meets nothing more, nor ends the plan.
            _ = try store.run([
                .accept(
                    AcceptUnit(
                        message: visitMessage,
                        closes: [
                            .followUpVisit(caseId: "c1", party: "dir"), .followUpPlan(caseId: "c1", closer: "hosp"),
                        ]))
            ])
            #expect(try store.openDeadlines(caseId: "c1").map(\.item) == ["visit:2:dir"])
        }
    }
}
