import BrokerCore
import ReferralProtocol
import StoreModel
import Testing

@testable import BrokerMachine

/// The metrics' counters, tallied by the machine where it decides (no sockets): what each counts, by which labels,
/// and what it does not count (a duplicate, a DELIVER that was not sent).
@Suite struct TallyTests {
    let psych = MachineTallies.KindAgency(kind: "referral.request", agency: "health")

    @Test func anAcceptedMessageCountsOnceByKindAndTheSendersAgencyAndADuplicateNotAtAll() throws {
        var rig = try Rig()
        let school = rig.connect("gl-school-1")
        _ = rig.accept(referral(), on: school, seq: 7)
        #expect(rig.machine.tallies.accepted == [.init(kind: "referral.request", agency: "education"): 1])
        guard let again = rig.send(referral(), on: school).accepts.first else {
            Issue.record("the resend was not handed to the store")
            return
        }
        _ = rig.stored(.accepted(again, .duplicate(seq: 7, recipients: 1)))
        #expect(rig.machine.tallies.accepted == [.init(kind: "referral.request", agency: "education"): 1])
        #expect(rig.machine.tallies.lastSeen["gl-school-1"] == rig.now)
    }

    @Test func aDeliverCountsOnlyWhenSentAndItsAckCountsByTheRecipientsAgency() throws {
        var rig = try Rig()
        let school = rig.connect("gl-school-1")
        let clinic = rig.connect("gl-child-psych")
        _ = rig.accept(referral(), on: school, seq: 7)
        _ = rig.report(rig.tick(), .busy)
        #expect(rig.machine.tallies.delivered.isEmpty)
        _ = rig.report(rig.tick(after: 5_000))
        #expect(rig.machine.tallies.delivered == [psych: 1])
        _ = rig.command(.ack(Ack(seq: 7)), on: clinic)
        _ = rig.tick()
        #expect(rig.machine.tallies.acknowledged == [psych: 1])
        #expect(rig.machine.tallies.deadLettered.isEmpty)
    }

    @Test func aPermanentNackIsCountedAsADeadLetterOfItsKind() throws {
        var rig = try Rig()
        let (_, clinic) = rig.referralInFlight()
        _ = rig.command(.nack(Nack(seq: 7, retry: false, reason: "cannot parse")), on: clinic)
        _ = rig.tick()
        #expect(rig.machine.tallies.deadLettered == [psych: 1])
        #expect(rig.machine.tallies.acknowledged.isEmpty)
    }

    @Test func refusedSendsAreCountedByCode() throws {
        var rig = try Rig()
        let school = rig.connect("gl-school-1")
        _ = rig.send(
            Send(id: "m-2", to: ["gl-child-psych"], kind: "referral.completed", caseId: "case-1", priority: .routine),
            on: school)
        _ = rig.send(referral("m-3", to: ["nobody-here"]), on: school)
        #expect(rig.machine.tallies.rejected[ErrorCode.forbidden.rawValue] == 1)
        #expect(rig.machine.tallies.rejected.values.reduce(0, +) == 2)
    }

    @Test func refusedHandshakesAreCountedByReason() throws {
        var rig = try Rig(plaintext: false)
        _ = rig.machine.handshake(key: fakeKey(999), fingerprint: "f", mechanism: "CURVE", peer: "p", now: rig.now)
        _ = rig.machine.handshake(key: nil, fingerprint: nil, mechanism: "NULL", peer: "p", now: rig.now)
        #expect(rig.machine.tallies.authFailures == ["unknown-key": 1, "not-curve": 1])
    }

    @Test func statsJoinTheTalliesTheStoreAggregatesAndTheLastAuditVerification() throws {
        var rig = try Rig()
        _ = rig.referralInFlight()
        let shell = ShellFacts(startedAt: 1_000, endpoint: "tcp://127.0.0.1:1", store: StoreStatistics())
        let asked = rig.handle(
            .admin(AdminArrival(request: .success(.stats), replyTo: operatorPeer, shell: shell), now: rig.now))
        #expect(asked.adminReads.map(\.read) == [.stats(now: rig.now, startedAt: 1_000)])
        _ = rig.stored(.adminRead(.auditVerified(.intact(records: 3, lastHash: "ab")), replyTo: operatorPeer))
        let aggregates = StoreAggregates(
            casesOpen: ["requested": 1],
            deadlines: [.init(county: "350102", risk: "urgent", open: 2, overdue: 1)])
        let replies = rig.stored(.adminRead(.stats(aggregates, startedAt: 1_000), replyTo: operatorPeer)).replies
        guard case .ok(.stats(let stats))? = replies.first?.response else {
            Issue.record("no STATS: \(replies)")
            return
        }
        #expect(stats.startedAt == 1_000)
        #expect(stats.counters.accepted == [.init(kind: "referral.request", agency: "education", count: 1)])
        #expect(stats.counters.delivered == [.init(kind: "referral.request", agency: "health", count: 1)])
        #expect(stats.casesOpen == [.init(label: "requested", count: 1)])
        #expect(stats.deadlines == [.init(county: "350102", risk: "urgent", open: 2, overdue: 1)])
        #expect(stats.audit == AdminStats.AuditCheck(at: rig.now, intact: true))
        #expect(stats.lastSeen.map(\.node) == ["gl-child-psych", "gl-school-1"])
    }
}
