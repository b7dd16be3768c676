import BrokerCore
import ReferralProtocol
import StoreModel
import Testing

@testable import BrokerMachine

/// The machine's part of the bounded memory: a page the scheduler asks for becomes a store read, and its completion
/// feeds the scheduler (docs/DESIGN.md, "a window on the store").
@Suite struct StoreWindowTests {
    static func row(_ seq: Int64, case caseId: String? = nil) -> OpenDelivery {
        OpenDelivery(
            seq: seq, recipient: "gl-child-psych", sender: "gl-school-1", messageId: "m-\(seq)", caseId: caseId,
            priority: 0, attempts: 1, acceptedAt: 0)
    }

    static func message(_ seq: Int64) -> StoredMessage {
        StoredMessage(
            seq: seq, sender: "gl-school-1", messageId: "m-\(seq)", kind: "referral.request", caseId: nil, priority: 0,
            recipients: ["gl-child-psych"], acceptedAt: 0, body: Array("{}".utf8))
    }

    /// The page reads among `actions`: (node, after, limit, receipts?).
    static func pageReads(_ actions: [MachineAction]) -> [String] {
        actions.requests.compactMap {
            switch $0 {
            case .openDeliveries(let node, let after, let limit): "deliveries \(node) after \(after) limit \(limit)"
            case .unconfirmedReceipts(let node, let after, let limit): "receipts \(node) after \(after) limit \(limit)"
            default: nil
            }
        }
    }

    @Test func aRestoredBacklogIsReadAPageAtATimeOnceTheNodeConnects() throws {
        var rig = try Rig(scheduler: { $0.deliveryMemory = 2 })
        rig.machine.scheduler.restore(
            held: [], deadLetters: [:], backlog: .init(deliveries: ["gl-child-psych": 3]), lastReceiptId: 0)
        #expect(Self.pageReads(rig.tick()).isEmpty)
        let clinic = rig.connection()
        guard case .welcome(let welcome) = rig.command(.hello(Hello(node: "gl-child-psych")), on: clinic).commands.first
        else {
            Issue.record("no WELCOME")
            return
        }
        #expect(welcome.pending == 3)
        #expect(Self.pageReads(rig.tick()) == ["deliveries gl-child-psych after 0 limit 2"])
        // An ACK of a delivery not read yet is ignored, not answered UNKNOWN_DELIVERY.
        #expect(rig.command(.ack(Ack(seq: 1)), on: clinic).errors.isEmpty)
        _ = rig.stored(.openDeliveries(recipient: "gl-child-psych", limit: 2, [Self.row(1), Self.row(2)]))
        let page = rig.tick()
        guard case .load(let seqs)? = page.requests.last else {
            Issue.record("no message load: \(page.requests)")
            return
        }
        #expect(seqs == [1, 2])
        let sent = rig.stored(.loaded([Self.message(1), Self.message(2)], missing: []))
        #expect(sent.delivers.map(\.deliver.seq) == [1, 2])
        #expect(sent.delivers.map(\.deliver.attempt) == [2, 2])  // attempts come from the store
        _ = rig.command(.ack(Ack(seq: 1)), on: clinic)
        _ = rig.command(.ack(Ack(seq: 2)), on: clinic)
        #expect(Self.pageReads(rig.tick()) == ["deliveries gl-child-psych after 2 limit 2"])
    }

    @Test func aFailedPageReadIsLoggedAndAskedForAgain() throws {
        var rig = try Rig(scheduler: {
            $0.deliveryMemory = 2
            $0.heartbeatMs = 4_000
        })
        rig.machine.scheduler.restore(
            held: [], deadLetters: [:], backlog: .init(receipts: ["gl-school-1": 1]), lastReceiptId: 1)
        rig.connect("gl-school-1")
        #expect(Self.pageReads(rig.tick()) == ["receipts gl-school-1 after 0 limit 8192"])
        let failed = rig.stored(.unconfirmedReceipts(sender: "gl-school-1", limit: 8_192, nil))
        let levels: [LogLine.Level] = failed.compactMap { if case .log(let line) = $0 { line.level } else { nil } }
        #expect(levels == [.error])
        #expect(Self.pageReads(rig.tick()).isEmpty)
        #expect(Self.pageReads(rig.tick(after: 1_000)) == ["receipts gl-school-1 after 0 limit 8192"])
    }
}

extension StoreWindowTests {
    /// After a restart, the deliveries of a held case the page brings in get their `held` trail event (the process
    /// may have died before writing it) and stay in the store: no DELIVER, no message load, still counted.
    @Test func aHeldCasesDeliveriesReadAfterARestartGetTheirHeldEventAndStayInTheStore() throws {
        var rig = try Rig(scheduler: { $0.deliveryMemory = 2 })
        rig.machine.scheduler.restore(
            held: [HeldLane(caseId: "case-a", recipient: "gl-child-psych", seq: 1, since: 0)],
            deadLetters: ["gl-child-psych": 1], backlog: .init(deliveries: ["gl-child-psych": 2]), lastReceiptId: 1)
        rig.connect("gl-child-psych")
        #expect(Self.pageReads(rig.tick()) == ["deliveries gl-child-psych after 0 limit 2"])
        let read = rig.stored(
            .openDeliveries(recipient: "gl-child-psych", limit: 2, [Self.row(2, case: "case-a"), Self.row(3, case: "case-a")]))
            + rig.tick()
        let held: [Int64] = read.requests.compactMap {
            if case .persist(.event(_, let seq, "gl-child-psych", .held, _, _)) = $0 { return seq }
            return nil
        }
        #expect(held == [2, 3])
        #expect(read.delivers.isEmpty)
        #expect(!read.requests.contains { if case .load = $0 { true } else { false } })
        #expect(rig.machine.scheduler.nodeStatuses().first { $0.node == "gl-child-psych" }?.pending == 2)
        #expect(rig.machine.scheduler.deliveriesInMemory == 0)
    }
}
