import ReferralProtocol
import Testing

@testable import BrokerMachine

/// A standby instance's answers (1/RBP 1.7 §7.1): NOT_ACTIVE, fatal, to every command but PONG and BYE, and only
/// to registered, active keys.
@Suite struct StandbyResponderTests {
    static func responder(active: String? = nil, suspended: Set<String> = []) throws -> StandbyResponder {
        StandbyResponder(
            jurisdiction: try NodeOverrideTests.base(suspended: suspended), activeEndpoint: active)
    }

    static func arrival(_ command: Command, key: String?) -> Arrival {
        Arrival(routingId: [0, 1, 2, 3, 4], userId: key, peer: "127.0.0.1", command: .success(command))
    }

    @Test func aHelloFromAKnownNodeIsAnsweredNotActiveFatalNamingHello() throws {
        let responder = try Self.responder()
        let key = try #require(responder.jurisdiction.entry("gl-school-1")?.publicKey)
        let reply = responder.reply(to: Self.arrival(.hello(Hello(node: "gl-school-1")), key: key))
        guard case .error(let error) = reply else {
            Issue.record("no ERROR: \(String(describing: reply))")
            return
        }
        #expect(error.code == .notActive)
        #expect(error.fatal)
        #expect(error.command == "HELLO")
        #expect(error.reason == "this broker is a standby: try the next endpoint")
    }

    @Test func everyOtherCommandIsAnsweredTooAndAQueryKeepsItsRef() throws {
        let responder = try Self.responder(active: "tcp://broker-b.example:5570")
        let key = try #require(responder.jurisdiction.entry("gl-school-1")?.publicKey)
        for command: Command in [.ping, .send(referral()), .query(Query(ref: "q-7", subject: .overdue(limit: 5)))] {
            guard case .error(let error) = responder.reply(to: Self.arrival(command, key: key)) else {
                Issue.record("\(command.name) not answered")
                continue
            }
            #expect(error.code == .notActive && error.fatal)
            #expect(error.command == command.name)
            #expect(error.reason.contains("tcp://broker-b.example:5570"))
            #expect(error.ref == (command.name == "QUERY" ? "q-7" : nil))
        }
        #expect(responder.reply(to: Self.arrival(.pong, key: key)) == nil)
        #expect(responder.reply(to: Self.arrival(.bye, key: key)) == nil)
    }

    @Test func unknownAndSuspendedKeysLearnNothing() throws {
        let responder = try Self.responder(suspended: ["gl-psb"])
        let suspended = try #require(responder.jurisdiction.entry("gl-psb")?.publicKey)
        #expect(responder.reply(to: Self.arrival(.hello(Hello(node: "gl-psb")), key: suspended)) == nil)
        #expect(responder.reply(to: Self.arrival(.hello(Hello(node: "x")), key: fakeKey(999))) == nil)
        #expect(!responder.admits(key: suspended))
        #expect(!responder.admits(key: fakeKey(999)))
        #expect(!responder.admits(key: nil))
        #expect(responder.admits(key: try #require(responder.jurisdiction.entry("gl-school-1")?.publicKey)))
    }

    @Test func anUndecodableFrameFromAKnownNodeStillGetsNotActive() throws {
        let responder = try Self.responder()
        let key = try #require(responder.jurisdiction.entry("gl-school-1")?.publicKey)
        let failure = Arrival(
            routingId: [9], userId: key, peer: nil,
            command: Codec.decode([[0x52, 0x42, 0x50, 0x01]], direction: .nodeToBroker, limits: Limits()))
        guard case .error(let error) = responder.reply(to: failure) else {
            Issue.record("not answered")
            return
        }
        #expect(error.code == .notActive && error.command == nil)
    }

    @Test func aVeryLongActiveEndpointIsLeftOutOfTheReason() throws {
        let responder = try Self.responder(active: "tcp://" + String(repeating: "a", count: 300) + ":5570")
        #expect(responder.reason == "this broker is a standby: try the next endpoint")
    }
}

/// An instance that stops being the active one ends every session with ERROR NOT_ACTIVE, fatal, without `command`.
@Suite struct StepDownTests {
    @Test func everySessionGetsNotActiveInsteadOfBye() throws {
        var rig = try Rig()
        let school = rig.connect("gl-school-1")
        let clinic = rig.connect("gl-child-psych")
        let actions = rig.handle(.stepDown)
        var answered: Set<[UInt8]> = []
        for case .send(.error(let error), let routingId) in actions {
            #expect(error.code == .notActive && error.fatal && error.command == nil)
            answered.insert(routingId)
        }
        #expect(answered == [school, clinic])
        #expect(!actions.contains { if case .send(.bye, _) = $0 { true } else { false } })
    }
}
