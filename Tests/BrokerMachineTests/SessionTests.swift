import BrokerCore
import ReferralProtocol
import StoreModel
import Testing

@testable import BrokerMachine

/// Sessions (1/RBP §7.1, §7.2, §7.13, §13.4) and the answers to commands that name nothing the broker has.
@Suite struct SessionTests {
    @Test func helloIsWelcomedWithTheClampedWindowAndTheStoreEpoch() throws {
        var rig = try Rig(configure: { $0.limits.maxWindow = 4 })
        let routingId = rig.connection()
        let actions = rig.command(.hello(Hello(node: "gl-school-1", window: 100)), on: routingId)
        guard case .welcome(let welcome) = actions.commands.first else {
            Issue.record("no WELCOME: \(actions.commands)")
            return
        }
        #expect(welcome.window == 4)
        #expect(welcome.store == "00112233445566778899aabbccddeeff")
        #expect(actions.audits.map(\.name) == [.sessionOpened])
        #expect(rig.machine.node(onConnection: routingId) == "gl-school-1")
    }

    @Test func anUnknownNodeIsRefusedFatally() throws {
        var rig = try Rig()
        let actions = rig.command(.hello(Hello(node: "nobody")), on: rig.connection())
        #expect(actions.errors.map(\.code) == [.unknownNode])
        #expect(actions.errors.first?.fatal == true)
    }

    @Test func aSuspendedNodeIsRefusedAtHello() throws {
        var rig = try Rig()
        let jurisdiction = Jurisdiction(
            directory: try demoDirectory(suspended: ["gl-school-1"]), policy: .default, plaintext: true)
        _ = rig.handle(
            .reload(.success(Reloadable(jurisdiction: jurisdiction, escalation: .defaults)), replyTo: nil, now: rig.now)
        )
        let actions = rig.command(.hello(Hello(node: "gl-school-1")), on: rig.connection())
        #expect(actions.errors.map(\.code) == [.nodeSuspended])
    }

    @Test func malformedInputIsAnsweredAndAFatalOneEndsTheSession() throws {
        var rig = try Rig()
        let school = rig.connect("gl-school-1")
        let bad = DecodeFailure(
            code: .badField, reason: "priority", field: "priority", command: "SEND", messageId: "m-1")
        let answered = rig.handle(
            .received(Arrival(routingId: school, userId: nil, peer: nil, command: .failure(bad)), now: rig.now))
        #expect(answered.rejected.map(\.code) == [.badField])
        #expect(rig.machine.node(onConnection: school) == "gl-school-1")
        let fatal = DecodeFailure(code: .unsupportedVersion, reason: "version 9")
        _ = rig.handle(
            .received(Arrival(routingId: school, userId: nil, peer: nil, command: .failure(fatal)), now: rig.now))
        #expect(rig.machine.node(onConnection: school) == nil)
    }

    @Test func unknownDeliveriesAndReceiptsAreErrors() throws {
        var rig = try Rig()
        let school = rig.connect("gl-school-1")
        #expect(rig.command(.ack(Ack(seq: 99)), on: school).errors.map(\.code) == [.unknownDelivery])
        #expect(
            rig.command(.nack(Nack(seq: 99, retry: true, reason: "x")), on: school).errors.map(\.code) == [
                .unknownDelivery
            ])
        #expect(rig.command(.receiptAck(ReceiptAck(receipt: 5)), on: school).errors.map(\.code) == [.unknownReceipt])
    }

    @Test func pingIsAnsweredOnlyInASessionAndByeEndsIt() throws {
        var rig = try Rig()
        #expect(rig.command(.ping, on: rig.connection()).errors.map(\.code) == [.notConnected])
        let school = rig.connect("gl-school-1")
        #expect(rig.command(.ping, on: school).commands == [.pong])
        _ = rig.command(.bye, on: school)
        #expect(rig.machine.node(onConnection: school) == nil)
    }

    @Test func aKeyActingForAnotherNodesSessionIsRefusedAndAudited() throws {
        var rig = try Rig(plaintext: false)
        let schoolKey = try #require(rig.machine.jurisdiction.entry("gl-school-1")?.publicKey)
        let clinicKey = try #require(rig.machine.jurisdiction.entry("gl-child-psych")?.publicKey)
        let routingId = rig.connection()
        _ = rig.command(.hello(Hello(node: "gl-school-1")), on: routingId, key: schoolKey)
        #expect(rig.machine.node(onConnection: routingId) == "gl-school-1")
        let spoof = rig.command(.ping, on: routingId, key: clinicKey)
        #expect(spoof.errors.map(\.code) == [.identityMismatch])
        #expect(spoof.audits.first?.keyFingerprint == "fp-\(clinicKey.prefix(2))")
        #expect(rig.machine.node(onConnection: routingId) == nil)
        // A HELLO naming another node than the key's is refused the same way.
        let claimed = rig.command(.hello(Hello(node: "gl-school-1")), on: rig.connection(), key: clinicKey)
        #expect(claimed.errors.map(\.code) == [.identityMismatch])
        // A key the directory does not know is ignored.
        #expect(rig.command(.ping, on: rig.connection(), key: fakeKey(999)).isEmpty)
    }

    @Test func handshakesAdmitOnlyActiveKeys() throws {
        var rig = try Rig(plaintext: false)
        let key = try #require(rig.machine.jurisdiction.entry("gl-school-1")?.publicKey)
        let admitted = rig.machine.handshake(key: key, fingerprint: "f", mechanism: "CURVE", peer: "p", now: rig.now)
        #expect(admitted.admitted && admitted.userId == key && admitted.actions.isEmpty)
        let unknown = rig.machine.handshake(
            key: fakeKey(999), fingerprint: "f", mechanism: "CURVE", peer: "p", now: rig.now)
        #expect(!unknown.admitted && unknown.text == "unknown key")
        #expect(unknown.actions.audits.map(\.name) == [.authFailed])
        let plain = rig.machine.handshake(key: nil, fingerprint: nil, mechanism: "NULL", peer: "p", now: rig.now)
        #expect(!plain.admitted && plain.actions.audits.first?.detail == "mechanism NULL")
    }
}
