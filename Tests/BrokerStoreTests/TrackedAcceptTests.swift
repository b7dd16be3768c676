import Testing

@testable import BrokerStore

/// `AcceptUnit.caseMove`: a case move decided against the stored row inside the accepting transaction.
@Suite struct TrackedAcceptTests {
    func row(_ status: String, caseId: String = "c1") -> CaseRecord {
        CaseRecord(
            caseId: caseId, status: status, referrer: "nodeA", service: "nodeB", attempt: 1, openedAt: 1, updatedAt: 1,
            risk: "routine")
    }

    /// Opens the case when none exists; refuses anything but a request otherwise.
    func check(_ status: String, ends: Bool = false) -> CaseMoveCheck {
        CaseMoveCheck(caseId: "c1") { [row] current in
            guard current == nil || status != "requested" else {
                return .refuse(code: "ILLEGAL_TRANSITION", reason: "x")
            }
            return .move(row(status, "c1"), endsCase: ends)
        }
    }

    @Test func aLegalMoveIsStoredWithItsCaseRowAndARefusalWritesNothing() throws {
        try withStore { (store: BrokerStore, _: String) throws in
            let first = try store.run([
                .accept(AcceptUnit(message: message("m1", caseId: "c1"), caseMove: check("requested")))
            ])
            guard case .accepted(.stored) = first[0] else {
                Issue.record("\(first)")
                return
            }
            #expect(try store.caseRecord(id: "c1")?.status == "requested")

            // A second request in the same case is refused: no message, no row change, nothing after it written.
            let before = store.statistics.rowsWritten
            let refused = try store.run([
                .accept(
                    AcceptUnit(
                        message: message("m2", caseId: "c1"), caseMove: check("requested"),
                        deadlines: [
                            NewDeadline(
                                caseId: "c1", item: .deliveryOfArmingMessage(to: "nodeB"), dueAt: 9,
                                notice: testNotice(nil), policy: "p")
                        ],
                        audit: AuditEvent(at: 1, event: .accepted, node: "nodeA", messageId: "m2")))
            ])
            #expect(refused == [.caseRefused(code: "ILLEGAL_TRANSITION", reason: "x")])
            #expect(try store.exportAudit(since: 0, limit: nil).isEmpty)
            #expect(store.statistics.rowsWritten == before)
            #expect(try store.trail(sender: "nodeA", messageId: "m2").isEmpty)

            // The first message sent again is a duplicate, although its move would be refused now.
            let again = try store.run([
                .accept(AcceptUnit(message: message("m1", caseId: "c1"), caseMove: check("requested")))
            ])
            guard case .accepted(.duplicate) = again[0] else {
                Issue.record("\(again)")
                return
            }
            // Other content under its id is a conflict: the case does not move either.
            let conflict = try store.run([
                .accept(
                    AcceptUnit(
                        message: message("m1", caseId: "c1", body: Array("other".utf8)),
                        caseMove: CaseMoveCheck(caseId: "c1") { [row] _ in .move(row("received", "c1"), endsCase: false)
                        }))
            ])
            guard case .accepted(.conflict) = conflict[0] else {
                Issue.record("\(conflict)")
                return
            }
            #expect(try store.caseRecord(id: "c1")?.status == "requested")
        }
    }

    @Test func aMoveThatEndsTheCaseCancelsItsOpenDeadlines() throws {
        try withStore { (store: BrokerStore, _: String) throws in
            _ = try store.run([
                .accept(AcceptUnit(message: message("m1", caseId: "c1"), caseMove: check("requested"))),
                .setDeadline(
                    NewDeadline(caseId: "c1", item: .text("visit:1:nodeB"), dueAt: 9, notice: testNotice(), policy: "p")
                ),
            ])
            #expect(try store.openDeadlines(caseId: "c1").count == 1)
            _ = try store.run([
                .accept(AcceptUnit(message: message("m2", caseId: "c1"), caseMove: check("completed", ends: true)))
            ])
            #expect(try store.caseRecord(id: "c1")?.status == "completed")
            #expect(try store.openDeadlines(caseId: "c1").isEmpty)
        }
    }
}
