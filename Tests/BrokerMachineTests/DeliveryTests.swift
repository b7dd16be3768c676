import BrokerCore
import ReferralProtocol
import StoreModel
import Testing

@testable import BrokerMachine

/// Deliveries, redelivery, dead letters and held cases (1/RBP §7.5–§7.8), as the machine carries the scheduler's
/// effects out (receipts: ReceiptTests).
@Suite struct DeliveryTests {
    @Test func anAcceptedMessageIsDeliveredToTheOnlineRecipientAndAudited() throws {
        var rig = try Rig()
        let school = rig.connect("gl-school-1")
        let clinic = rig.connect("gl-child-psych")
        _ = rig.accept(referral(), on: school, seq: 7)
        let tick = rig.tick()
        #expect(tick.delivers.map(\.deliver.seq) == [7])
        #expect(tick.delivers.first?.to == clinic)
        #expect(tick.delivers.first?.deliver.priority == .urgent)
        #expect(rig.report(tick).audits.map(\.name) == [.delivered])
        #expect(rig.command(.ack(Ack(seq: 7)), on: clinic).isEmpty)
        #expect(
            rig.tick().settlements.contains {
                $0.receipt.seq == 7 && $0.receipt.recipient == "gl-child-psych" && $0.receipt.outcome == .delivered
                    && $0.attempts == 1
            })
    }

    @Test func aBusyPeerKeepsTheDeliveryPendingAndAGoneOneLosesItsSession() throws {
        var rig = try Rig()
        let school = rig.connect("gl-school-1")
        let clinic = rig.connect("gl-child-psych")
        _ = rig.accept(referral(), on: school, seq: 7)
        #expect(rig.report(rig.tick(), .busy).isEmpty)
        let again = rig.tick(after: 200)
        #expect(again.delivers.map(\.deliver.seq) == [7])
        _ = rig.report(again, .gone)
        _ = rig.tick()
        #expect(rig.machine.node(onConnection: clinic) == nil)
    }

    @Test func aRetryableNackIsRedeliveredAfterTheBackoff() throws {
        var rig = try Rig()
        let (_, clinic) = rig.referralInFlight()
        _ = rig.command(.nack(Nack(seq: 7, retry: true, reason: "busy")), on: clinic)
        #expect(rig.tick(after: 500).delivers.isEmpty)
        let redelivered = rig.tick(after: 500)
        #expect(redelivered.delivers.map(\.deliver.attempt) == [2])
    }

    @Test func aDeadLetterHoldsTheCase() throws {
        var rig = try Rig()
        let (_, clinic) = rig.referralInFlight()
        _ = rig.command(.nack(Nack(seq: 7, retry: false, reason: "cannot parse")), on: clinic)
        let settled = rig.tick().settlements
        #expect(settled.map(\.receipt.outcome) == [.deadLettered])
        #expect(settled.map(\.receipt.reason) == ["cannot parse"])
        #expect(settled.map(\.holdCase) == [true])
        #expect(rig.machine.scheduler.heldLanes().map(\.caseId) == ["case-1"])
    }

    @Test func aMessageNotInTheCacheIsLoadedThenDelivered() throws {
        var rig = try Rig(configure: { $0.messageCacheBytes = 0 })
        let school = rig.connect("gl-school-1")
        rig.connect("gl-child-psych")
        _ = rig.accept(referral(), on: school, seq: 7)
        let loaded = try Self.loadedThenDelivered(&rig)
        #expect(loaded.delivers.map(\.deliver.seq) == [7])
        #expect(loaded.delivers.first?.deliver.priority == .urgent)
    }

    @Test func anOfflineRecipientGetsItsMessageFromTheStoreWhenItConnects() throws {
        var rig = try Rig()
        _ = rig.accept(referral(), on: rig.connect("gl-school-1"), seq: 7)
        #expect(rig.tick().delivers.isEmpty)
        let routingId = rig.connection()
        let hello = rig.command(.hello(Hello(node: "gl-child-psych")), on: routingId)
        guard case .welcome(let welcome) = hello.commands.first else {
            Issue.record("no WELCOME")
            return
        }
        #expect(welcome.pending == 1)
        // Not cached for an offline recipient (a backlog does not fill the cache): read back when it comes.
        #expect(try Self.loadedThenDelivered(&rig).delivers.map(\.to) == [routingId])
    }

    /// The next tick asks the store for the referral stored as seq 7 (a cache miss) and sends nothing; returns what
    /// the machine does with the message read back.
    static func loadedThenDelivered(_ rig: inout Rig) throws -> [MachineAction] {
        let tick = rig.tick()
        #expect(tick.delivers.isEmpty)
        guard case .load(let seqs)? = tick.requests.last else { throw LoadMissing(requests: "\(tick.requests)") }
        #expect(seqs == [7])
        let stored = StoredMessage(
            seq: 7, sender: "gl-school-1", messageId: "m-1", kind: "referral.request", caseId: "case-1", priority: 1,
            recipients: ["gl-child-psych"], acceptedAt: rig.now, body: Array("{}".utf8))
        return rig.stored(.loaded([stored], missing: []))
    }

    struct LoadMissing: Error {
        var requests: String
    }

    @Test func aLateDuplicateAckIsIgnoredSilently() throws {
        var rig = try Rig()
        let (_, clinic) = rig.referralInFlight()
        #expect(rig.command(.ack(Ack(seq: 7)), on: clinic).isEmpty)
        #expect(rig.command(.ack(Ack(seq: 7)), on: clinic).isEmpty)
    }

    @Test func aNewConnectionTakesTheSessionOverAndGetsTheUnackedDelivery() throws {
        var rig = try Rig()
        let (_, old) = rig.referralInFlight()
        let new = rig.connect("gl-child-psych")
        #expect(rig.machine.node(onConnection: old) == nil)
        let tick = rig.tick()
        #expect(
            tick.audits.contains {
                $0.name == .sessionEnded && $0.detail?.hasSuffix("taken-over") == true
            })
        #expect(tick.delivers.map(\.to) == [new])
        #expect(tick.delivers.first?.deliver.attempt == 2)
    }

    @Test func anUnackedDeliveryIsSentAgainAfterTheAckTimeout() throws {
        var rig = try Rig()
        _ = rig.referralInFlight()
        #expect(rig.tick(after: 5_000).delivers.isEmpty)
        _ = rig.tick(after: 5_001)  // the ACK timeout: back to pending, after a backoff
        let again = rig.tick(after: 1_000)
        #expect(again.delivers.map(\.deliver.seq) == [7])
        #expect(again.delivers.first?.deliver.attempt == 2)
    }
}
