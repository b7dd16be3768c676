import BrokerStore
import Foundation
import GRDB
import Testing

@Suite struct DeadlineTests {
    @Test func addCloseAndFireAreIdempotent() throws {
        try withStore { store, _ in
            let results = try store.run([
                .setDeadline(deadline("case-1", "answer:referral.request", due: 100)),
                .setDeadline(deadline("case-1", "followup:1", due: 200)),
                .setDeadline(deadline("case-2", "answer:referral.request", due: 150)),
            ])
            let answer = try #require(results[0].deadlineId)
            let followup = try #require(results[1].deadlineId)
            let other = try #require(results[2].deadlineId)
            #expect(answer < followup && followup < other)
            #expect(try store.openDeadlineCount() == 3)

            // The answer arrives: only case-1's open deadline of that item is met; a second close finds nothing.
            #expect(
                try store.run([
                    .closeDeadlines(.inCase("case-1", item: "answer:referral.request", state: .met), at: 90)
                ])
                    == [.closed(count: 1)])
            #expect(
                try store.run([
                    .closeDeadlines(.inCase("case-1", item: "answer:referral.request", state: .met), at: 91)
                ])
                    == [.closed(count: 0)])
            let met = try #require(try store.deadline(id: answer))
            #expect(met.state == .met)
            #expect(met.closedAt == 90)
            #expect(try store.deadline(id: other)?.state == .open)

            // A met deadline never fires.
            let before = store.statistics.rowsWritten
            #expect(try store.run([.fire(FireUnit(deadlineId: answer, at: 101, next: nil))]) == [.notFired])
            #expect(try store.run([.fire(FireUnit(deadlineId: 9_999, at: 101, next: nil))]) == [.notFired])
            #expect(store.statistics.rowsWritten == before)

            // The follow-up passes: fired and replaced by the next level's deadline; firing again is a no-op.
            let next = deadline("case-1", "followup:1", due: 300, level: 1, policy: "chain=civil;step=1")
            let fired = try store.run([.fire(FireUnit(deadlineId: followup, at: 201, next: next))])
            guard case .fired(let nextId?, notice: nil) = fired[0] else {
                Issue.record("expected a fired result with a next id, got \(fired)")
                return
            }
            #expect(try store.run([.fire(FireUnit(deadlineId: followup, at: 202, next: next))]) == [.notFired])
            #expect(try store.deadline(id: followup)?.state == .fired)
            #expect(try store.deadline(id: followup)?.closedAt == 201)
            #expect(try store.openDeadlines(caseId: "case-1").map(\.id) == [nextId])
            #expect(try store.openDeadlines(caseId: "case-1").first?.policy == "chain=civil;step=1")
            #expect(try store.openDeadlines(caseId: "case-1").first?.level == 1)

            // Last level: exhausted, nothing follows.
            #expect(
                try store.run([.fire(FireUnit(deadlineId: nextId, at: 301, next: nil))]) == [
                    .fired(nextId: nil, notice: nil)
                ])
            #expect(try store.deadline(id: nextId)?.state == .exhausted)
            #expect(try store.run([.fire(FireUnit(deadlineId: nextId, at: 302, next: nil))]) == [.notFired])
            #expect(try store.openDeadlines(caseId: "case-1").isEmpty)
            #expect(try store.openDeadlineCount() == 1)
        }
    }

    @Test func firingTwiceInOneBatchFiresOnce() throws {
        try withStore { store, _ in
            let id = try #require(
                try store.run([.setDeadline(deadline("c", "answer:crisis.alert", due: 5))])[0].deadlineId)
            let results = try store.run([
                .fire(FireUnit(deadlineId: id, at: 6, next: deadline("c", "answer:crisis.alert", due: 10, level: 1))),
                .fire(FireUnit(deadlineId: id, at: 6, next: deadline("c", "answer:crisis.alert", due: 10, level: 1))),
                .closeDeadlines(.inCase("c", item: "answer:crisis.alert", state: .met), at: 7),
            ])
            guard case .fired(let nextId?, notice: nil) = results[0] else {
                Issue.record("expected a fired result, got \(results)")
                return
            }
            #expect(results[1] == .notFired)
            #expect(results[2] == .closed(count: 1))  // the next one, met by the answer
            #expect(try store.deadline(id: nextId)?.state == .met)
            #expect(try store.openDeadlineCount() == 0)
        }
    }

    @Test func closeWithoutItemCancelsEveryOpenDeadlineOfTheCase() throws {
        try withStore { store, _ in
            _ = try store.run([
                .setDeadline(deadline("c1", "followup:1", due: 10)),
                .setDeadline(deadline("c1", "followup:2", due: 20)),
                .setDeadline(deadline("c1", "delivery:7:school-1", due: 5)),
                .setDeadline(deadline("c2", "followup:1", due: 10)),
                .setDeadline(deadline(nil, "delivery:8:hotline", due: 10)),
            ])
            #expect(
                try store.run([.closeDeadlines(.inCase("c1", item: nil, state: .cancelled), at: 30)])
                    == [.closed(count: 3)])
            #expect(try store.openDeadlines(caseId: "c1").isEmpty)
            #expect(try store.openDeadlines(caseId: "c2").map(\.item) == ["followup:1"])
            #expect(try store.dueDeadlines(before: .max, limit: 10).map(\.caseId) == ["c2", nil])
        }
    }

    @Test func closeWithoutCaseMeetsOnlyCaselessDeadlinesOfThatItem() throws {
        try withStore { store, _ in
            _ = try store.run([
                .setDeadline(deadline(nil, "answer:police-1:crisis.acknowledged", due: 10)),
                .setDeadline(deadline(nil, "answer:hotline-1:crisis.acknowledged", due: 10)),
                .setDeadline(deadline("c1", "answer:police-1:crisis.acknowledged", due: 10)),
            ])
            #expect(
                try store.run([
                    .closeDeadlines(.withoutCase(item: "answer:police-1:crisis.acknowledged", state: .met), at: 5)
                ]) == [.closed(count: 1)])
            #expect(try store.openDeadlines(caseId: "c1").count == 1)
            #expect(try store.openDeadlineCount() == 2)
            #expect(throws: BrokerStoreError.self) {
                try store.run([.closeDeadlines(.withoutCase(item: "x", state: .open), at: 6)])
            }
            #expect(try store.openDeadlineCount() == 2)
        }
    }

    @Test func aFailingOpRollsBackTheWholeBatch() throws {
        try withStore { (store: BrokerStore, _: String) throws in
            let error = #expect(throws: BrokerStoreError.self) {
                try store.run([
                    .accept(AcceptUnit(message: message("m1", caseId: "c1"))),
                    .putCase(CaseRecord(caseId: "c1", status: "requested")),
                    .setDeadline(deadline("c1", "answer:referral.request", due: 10)),
                    .closeDeadlines(.inCase("c1", item: nil, state: .open), at: 5),  // not a closing state
                ])
            }
            #expect(error?.operation == "run")
            #expect(try store.openDeadlineCount() == 0)
            #expect(try store.caseRecord(id: "c1") == nil)
            #expect(try store.loadOpenDeliveries().isEmpty)
        }
    }

    @Test func caseRowsAreUpsertedWithTheStateChange() throws {
        try withStore { store, _ in
            let opened = CaseRecord(
                caseId: "c1", status: "requested", referrer: "school-1", service: "clinic-1", openedAt: 10,
                updatedAt: 10, risk: "urgent")
            let results = try store.run([
                .accept(AcceptUnit(message: message("m1", from: "school-1", to: ["clinic-1"], caseId: "c1", at: 10))),
                .putCase(opened),
                .setDeadline(deadline("c1", "answer:referral.request", due: 1_000)),
            ])
            #expect(results[0].storedSeq != nil)
            #expect(results[1] == .done)
            #expect(results[2].deadlineId != nil)
            #expect(try store.caseRecord(id: "c1") == opened)
            #expect(try store.caseRecord(id: "c2") == nil)

            // Declined and re-routed: every column takes the new record's value.
            var rerouted = opened
            rerouted.status = "requested"
            rerouted.service = "clinic-2"
            rerouted.attempt = 2
            rerouted.updatedAt = 50
            rerouted.risk = nil
            _ = try store.run([.putCase(rerouted)])
            #expect(try store.caseRecord(id: "c1") == rerouted)
        }
    }

    @Test func windowIsOrderedByDueTimeThenIdAndBounded() throws {
        try withStore { store, _ in
            let dues: [Int64] = [500, 100, 300, 100, 900, 200, 300, 50]
            let results = try store.run(
                dues.enumerated().map { index, due in
                    .setDeadline(deadline("c\(index)", "followup:1", due: due))
                })
            let ids = try results.map { try #require($0.deadlineId) }
            // Close one: it leaves the window.
            _ = try store.run([.closeDeadlines(.inCase("c5", item: "followup:1", state: .met), at: 1)])

            let expected = zip(ids, dues).filter { $0.0 != ids[5] }
                .sorted { ($0.1, $0.0) < ($1.1, $1.0) }
            #expect(try store.dueDeadlines(before: .max, limit: 100).map(\.id) == expected.map(\.0))
            #expect(try store.dueDeadlines(before: .max, limit: 3).map(\.id) == expected.prefix(3).map(\.0))
            // `before` is exclusive.
            #expect(try store.dueDeadlines(before: 300, limit: 100).map(\.dueAt) == [50, 100, 100])
            #expect(try store.dueDeadlines(before: 301, limit: 100).map(\.dueAt) == [50, 100, 100, 300, 300])
            #expect(try store.dueDeadlines(before: 50, limit: 100).isEmpty)
            #expect(try store.dueDeadlines(before: .max, limit: 0).isEmpty)
            #expect(try store.nextDueAt() == 50)
            #expect(try store.openDeadlineCount() == 7)

            _ = try store.run([.fire(FireUnit(deadlineId: ids[7], at: 51, next: nil))])
            #expect(try store.nextDueAt() == 100)
        }
    }

    @Test func emptyStoreHasNoDeadlines() throws {
        try withStore { (store: BrokerStore, _: String) throws in
            #expect(try store.nextDueAt() == nil)
            #expect(try store.openDeadlineCount() == 0)
            #expect(try store.dueDeadlines(before: .max, limit: 10).isEmpty)
            #expect(try store.overdue(now: .max).isEmpty)
            #expect(try store.deadline(id: 1) == nil)
        }
    }

    @Test func deadlinesThatFellDueWhileDownComeFirstOldestFirstAfterReopen() throws {
        try withTempDirectory { dir in
            let path = dir + "/broker.sqlite"
            var stored: [DeadlineRecord] = []
            var metId: Int64 = 0
            do {
                let store = try BrokerStore(path: path)
                let results = try store.run([
                    .putCase(CaseRecord(caseId: "c1", status: "accepted", referrer: "school-1", openedAt: 1)),
                    .setDeadline(
                        NewDeadline(
                            caseId: "c1", item: .text("followup:2"), dueAt: 4_000, level: 0, notice: testNotice(),
                            policy: "{\"steps\":[60,1440]}",
                            createdAt: 1, region: "350102001", agency: "village-director-1", risk: "routine")),
                    .setDeadline(deadline("c1", "followup:1", due: 2_000)),
                    .setDeadline(deadline("c2", "answer:referral.request", due: 3_000)),
                    .setDeadline(deadline("c3", "answer:referral.request", due: 1_000)),
                    .setDeadline(deadline("c4", "followup:1", due: 50_000)),
                ])
                metId = try #require(results[3].deadlineId)  // c2's, met below
                _ = try store.run([.closeDeadlines(.inCase("c2", item: "answer:referral.request", state: .met), at: 5)]
                )
                stored = try store.dueDeadlines(before: .max, limit: 100)
                try store.close()
            }

            // The broker was down from t=5 to t=10_000: everything due before now comes back, oldest first.
            let reopened = try BrokerStore(path: path)
            defer { try? reopened.close() }
            let now: Int64 = 10_000
            let due = try reopened.dueDeadlines(before: now + 1, limit: 100)
            #expect(due.map(\.dueAt) == [1_000, 2_000, 4_000])
            #expect(due.map(\.caseId) == ["c3", "c1", "c1"])
            #expect(!due.map(\.id).contains(metId))
            #expect(try reopened.dueDeadlines(before: .max, limit: 100) == stored)
            let full = try #require(due.last)
            #expect(full.policy == "{\"steps\":[60,1440]}")
            #expect(full.region == "350102001")
            #expect(full.agency == "village-director-1")
            #expect(full.risk == "routine")
            #expect(full.createdAt == 1)
            #expect(full.state == .open)
            #expect(full.closedAt == nil)
            #expect(try reopened.caseRecord(id: "c1")?.referrer == "school-1")
            #expect(try reopened.nextDueAt() == 1_000)
            #expect(try reopened.openDeadlineCount() == 4)

            // Ids keep growing after the restart.
            let newId = try #require(
                try reopened.run([.setDeadline(deadline("c5", "followup:1", due: 20_000))])[0].deadlineId)
            #expect(newId > stored.map(\.id).max()!)
        }
    }

    @Test func overdueFiltersByRegionPrefixAgencyAndRisk() throws {
        try withStore { store, _ in
            func add(_ caseId: String, due: Int64, region: String?, agency: String?, risk: String?) -> StoreUnit {
                .setDeadline(
                    NewDeadline(
                        caseId: caseId, item: .text("followup:1"), dueAt: due, notice: testNotice(), policy: "p",
                        region: region, agency: agency,
                        risk: risk))
            }
            _ = try store.run([
                add("fz-school", due: 100, region: "350102001", agency: "edu-350102", risk: "routine"),
                add("fz-crisis", due: 200, region: "350103", agency: "police-350103", risk: "crisis"),
                add("xm-school", due: 150, region: "350203", agency: "edu-350203", risk: "routine"),
                add("no-region", due: 120, region: nil, agency: nil, risk: nil),
                add("later", due: 5_000, region: "350102", agency: "edu-350102", risk: "routine"),
                add("met", due: 110, region: "350102", agency: "edu-350102", risk: "routine"),
            ])
            _ = try store.run([.closeDeadlines(.inCase("met", item: "followup:1", state: .met), at: 1)])
            let now: Int64 = 1_000

            #expect(try store.overdue(now: now).map(\.caseId) == ["fz-school", "no-region", "xm-school", "fz-crisis"])
            #expect(try store.overdue(now: now, regionPrefix: "3501").map(\.caseId) == ["fz-school", "fz-crisis"])
            #expect(try store.overdue(now: now, regionPrefix: "350102").map(\.caseId) == ["fz-school"])
            #expect(try store.overdue(now: now, regionPrefix: "35").count == 3)
            #expect(try store.overdue(now: now, regionPrefix: "").count == 4)
            #expect(try store.overdue(now: now, regionPrefix: "35%").isEmpty)  // no wildcards
            #expect(try store.overdue(now: now, regionPrefix: "3501_").isEmpty)
            #expect(try store.overdue(now: now, agency: "edu-350203").map(\.caseId) == ["xm-school"])
            #expect(try store.overdue(now: now, risk: "crisis").map(\.caseId) == ["fz-crisis"])
            #expect(try store.overdue(now: now, risk: "CRISIS").isEmpty)
            #expect(
                try store.overdue(now: now, regionPrefix: "35", risk: "routine").map(\.caseId) == [
                    "fz-school", "xm-school",
                ])
            #expect(
                try store.overdue(now: now, regionPrefix: "3501", agency: "edu-350102", risk: "routine").map(\.caseId)
                    == ["fz-school"])
            #expect(try store.overdue(now: now, regionPrefix: "3502", agency: "edu-350102").isEmpty)
            #expect(try store.overdue(now: now, limit: 2).map(\.caseId) == ["fz-school", "no-region"])
            // Due exactly now counts as overdue; not yet due does not.
            #expect(try store.overdue(now: 150).map(\.caseId) == ["fz-school", "no-region", "xm-school"])
            #expect(try store.overdue(now: 99).isEmpty)
            #expect(try store.overdue(now: 10_000).count == 5)
        }
    }

    /// The recent-escalations read walks `deadlines_open_escalated_recent` in the order it returns rows and stops at
    /// the limit: no temporary B-tree sorts every open escalated row (the dashboard reads it at every load).
    @Test func overdueEscalatedOnlyReadsItsIndexInOrderWithoutSorting() throws {
        try withStore { store, path in
            try store.close()
            let plan = try DatabaseQueue(path: path).read { db in
                try Row.fetchAll(
                    db,
                    sql: """
                        EXPLAIN QUERY PLAN SELECT id FROM deadlines INDEXED BY deadlines_open_escalated_recent
                        WHERE state = 0 AND level > 0 AND risk = ? ORDER BY created_at DESC, id DESC LIMIT 50
                        """, arguments: ["crisis"]
                ).map { "\($0["detail"] ?? "")" }.joined(separator: "; ")
            }
            #expect(plan.contains("deadlines_open_escalated_recent"), "\(plan)")
            #expect(!plan.contains("TEMP B-TREE"), "\(plan)")
        }
    }

    /// `escalatedOnly`: the open rows of level 1 or above, the latest escalation (the row's creation) first, filtered
    /// like the rest; a row of level 0 (overdue or not) and a closed escalated row are left out.
    @Test func overdueEscalatedOnlyListsTheLatestEscalationFirst() throws {
        try withStore { store, _ in
            func add(_ caseId: String, level: Int, createdAt: Int64, risk: String) -> StoreUnit {
                .setDeadline(
                    NewDeadline(
                        caseId: caseId, item: .text("answer:test-b:referral.accepted"), dueAt: 9_000 - createdAt,
                        level: level, notice: testNotice(), policy: "p", createdAt: createdAt, region: "350102",
                        agency: "health", risk: risk))
            }
            _ = try store.run([
                add("first-escalated", level: 1, createdAt: 100, risk: "routine"),
                add("escalated-twice", level: 2, createdAt: 300, risk: "crisis"),
                add("latest", level: 1, createdAt: 500, risk: "routine"),
                add("overdue-not-escalated", level: 0, createdAt: 50, risk: "routine"),
                add("answered", level: 1, createdAt: 400, risk: "routine"),
            ])
            _ = try store.run([
                .closeDeadlines(.inCase("answered", item: "answer:test-b:referral.accepted", state: .met), at: 450)
            ])
            let now: Int64 = 10_000
            #expect(
                try store.overdue(now: now, escalatedOnly: true).map(\.caseId) == [
                    "latest", "escalated-twice", "first-escalated",
                ])
            #expect(
                try store.overdue(now: now, risk: "crisis", escalatedOnly: true).map(\.caseId) == ["escalated-twice"])
            #expect(try store.overdue(now: now, escalatedOnly: true, limit: 1).map(\.caseId) == ["latest"])
            #expect(try store.overdue(now: now, regionPrefix: "3502", escalatedOnly: true).isEmpty)
            // By due time without it, level 0 included (the later created, the earlier due here).
            #expect(try store.overdue(now: now).map(\.caseId).first == "latest")
            #expect(try store.overdue(now: now).count == 4)
        }
    }

    @Test func migrationsListTheCaseTables() throws {
        try withStore { (store: BrokerStore, _: String) throws in
            #expect(try store.settings().migrations.contains("v4-followup"))
        }
    }
}

func deadline(
    _ caseId: String?, _ item: String, due: Int64, level: Int = 0, policy: String = "chain=default"
) -> NewDeadline {
    NewDeadline(
        caseId: caseId, item: .text(item), dueAt: due, level: level, notice: testNotice(), policy: policy, createdAt: 0)
}

extension UnitResult {
    var deadlineId: Int64? {
        if case .deadlineSet(let id) = self { return id }
        return nil
    }
}
