import StoreModel
import Testing

/// The PostgreSQL store writes runs of plain units table by table (`PostgresPlainRun`): long mixed batches must
/// give SQLite's results, numbers and tables, including where a unit reads what an earlier unit of the same batch
/// wrote (the run is cut there) and past the protocol's 65,535 binds per statement.
@Suite(.serialized) struct PostgresRunTests {
    func accepted(_ id: String, to recipients: [String] = ["node-b", "node-c"], body: String? = nil) -> StoreUnit {
        .accept(
            AcceptUnit(
                message: message(id, to: recipients, body: body),
                audit: AuditEvent(at: 1_000, event: .accepted, node: "node-a", messageId: id)))
    }

    func acked(_ seq: Int64, _ recipient: String, receipt: Int64) -> StoreUnit {
        .settle(
            Settlement(
                seq: seq, recipient: recipient, caseId: nil, at: 2_000, attempts: 1, firstAttemptAt: 1_500,
                outcome: .delivered, receiptId: receipt, sender: "node-a", messageId: "m\(seq)",
                audit: AuditEvent(at: 2_000, event: .acked, node: recipient, seq: seq)))
    }

    @Test func aMixedBatchOfPlainUnitsGivesSQLitesResultsAndTables() throws {
        try TwinStores.with { twins in
            // Earlier traffic: 20 messages to two nodes, one a crisis alert with a case-less delivery deadline.
            try twins.run((1...20).map { accepted("old-\($0)") })
            try twins.run([
                .accept(
                    AcceptUnit(
                        message: message("alert", to: ["node-b"], priority: 2),
                        deadlines: [
                            NewDeadline(
                                caseId: nil, item: .deliveryOfArmingMessage(to: "node-b"), dueAt: 4_000,
                                notice: notice(nil), policy: "p")
                        ]))
            ])
            var units: [StoreUnit] = []
            var receipt: Int64 = 100
            for round in 0..<10 {
                units.append(accepted("new-\(round)"))
                units.append(accepted("new-\(round)"))  // a duplicate of a message of this very run
                units.append(accepted("new-\(round)", body: "changed"))  // a CONFLICT with it
                units.append(acked(Int64(round + 1), "node-b", receipt: receipt))
                units.append(acked(Int64(round + 1), "node-b", receipt: receipt + 1))  // the same delivery again
                units.append(.confirmReceipt(id: receipt, at: 2_100))  // a receipt of this run
                units.append(.confirmReceipt(id: receipt, at: 2_200))
                units.append(
                    .trail(
                        TrailEventRecord(
                            at: 2_300, seq: Int64(round + 1), recipient: "node-c", event: .nacked, attempt: 2,
                            detail: "busy")))
                units.append(.audit(AuditEvent(at: 2_400, event: .sessionOpened, node: "node-d")))
                receipt += 2
            }
            // A settle of a message stored earlier in this batch, and the crisis alert's delivery (its deadline met).
            units.append(acked(22, "node-b", receipt: 500))
            units.append(acked(21, "node-b", receipt: 501))
            units.append(
                .accept(
                    AcceptUnit(
                        message: message("with-deadline", to: ["node-e"]),
                        deadlines: [
                            NewDeadline(
                                caseId: nil, item: .deliveryOfArmingMessage(to: "node-e"), dueAt: 9_000,
                                notice: notice(nil), policy: "p")
                        ])))
            units.append(.confirmReceipt(id: 9_999, at: 3_000))  // unknown: nothing
            let results = try twins.run(units)
            #expect(results[0] == .accepted(.stored(seq: 22)))
            #expect(results[1] == .accepted(.duplicate(seq: 22, recipients: 2)))
            #expect(results[2] == .accepted(.conflict(existingSeq: 22)))
            #expect(results[3] == .settled)
            #expect(results[4] == .notPending)
            #expect(results[90] == .settled)
            #expect(results[91] == .settled)
            // The last seq given was a duplicate's in an earlier run: a reopen does not give it again.
            try twins.run([accepted("tail"), accepted("tail")])
            try twins.reopen()
            try twins.run([accepted("after-reopen")])
            try twins.expectSameTables()
        }
    }

    @Test func runsLongerThanOneStatementsBindsAreSplit() throws {
        try TwinStores.with { twins in
            // 13 columns an audit row: 5,041 rows fill one statement.
            let audits = (0..<5_100).map {
                StoreUnit.audit(AuditEvent(at: Int64(1_000 + $0), event: .sessionOpened, node: "node-\($0 % 7)"))
            }
            try twins.run(audits)
            // 10 columns a message row: 6,553 rows fill one statement.
            try twins.run((0..<6_600).map { accepted("bulk-\($0)", to: ["node-b"]) })
            try twins.expectSameTables()
        }
    }
}
