import BrokerCore
import ReferralProtocol
import StoreModel
import Testing

@testable import BrokerMachine

/// Reload (all or nothing) and stop (drain, then BYE).
@Suite struct ReloadAndStopTests {
    @Test func aRefusedReloadChangesNothingAndIsAudited() throws {
        var rig = try Rig()
        let school = rig.connect("gl-school-1")
        let actions = rig.handle(
            .reload(.failure(ReloadRefusal(problems: ["directory_file: bad"])), replyTo: operatorPeer, now: rig.now))
        #expect(actions.audits.map(\.code) == ["BAD_DIRECTORY"])
        #expect(actions.replies.map(\.response) == [.error(AdminError(.badDirectory, "directory_file: bad"))])
        #expect(rig.machine.node(onConnection: school) == "gl-school-1")
    }

    @Test func anAppliedReloadReportsItsChanges() throws {
        var rig = try Rig()
        let jurisdiction = Jurisdiction(
            directory: try demoDirectory(suspended: ["gl-psb"]), policy: .default, plaintext: true)
        let actions = rig.handle(
            .reload(
                .success(Reloadable(jurisdiction: jurisdiction, escalation: .defaults)), replyTo: operatorPeer,
                now: rig.now))
        guard case .ok(.reload(let changes))? = actions.replies.last?.response else {
            Issue.record("not applied: \(actions)")
            return
        }
        #expect(changes.suspended == ["gl-psb"] && changes.escalationPolicy == "default")
        #expect(actions.replies.last?.to == operatorPeer)
        #expect(rig.machine.jurisdiction.entry("gl-psb")?.isActive == false)
    }

    @Test func aRekeyedNodeLosesItsSessionAndItsOldKeyIsIgnored() throws {
        var rig = try Rig(plaintext: false)
        let oldKey = try #require(rig.machine.jurisdiction.entry("gl-school-1")?.publicKey)
        let routingId = rig.connection()
        _ = rig.command(.hello(Hello(node: "gl-school-1")), on: routingId, key: oldKey)
        let jurisdiction = Jurisdiction(
            directory: try demoDirectory(rekeyed: ["gl-school-1"]), policy: .default, plaintext: false)
        let reloaded = rig.handle(
            .reload(.success(Reloadable(jurisdiction: jurisdiction, escalation: .defaults)), replyTo: nil, now: rig.now)
        )
        #expect(reloaded.errors.map(\.code) == [.nodeSuspended])
        #expect(reloaded.sends.first?.to == routingId)
        // A SIGHUP: nobody to answer.
        #expect(reloaded.replies.isEmpty)
        #expect(rig.machine.jurisdiction.entry("gl-school-1")?.publicKey != oldKey)
        #expect(rig.command(.hello(Hello(node: "gl-school-1")), on: routingId, key: oldKey).isEmpty)
    }

    @Test func aStoppingBrokerRefusesSendsAndExitsOnceDrainedOrAfterItsGrace() throws {
        var rig = try Rig(configure: { $0.stopGraceMs = 5_000 })
        let school = rig.connect("gl-school-1")
        let pending = try #require(rig.send(referral("m-1"), on: school).accepts.first)
        _ = rig.handle(.stop(now: rig.now))
        let refused = rig.send(referral("m-2"), on: school)
        #expect(refused.rejected.map(\.code) == [.shuttingDown])
        #expect(refused.rejected.first?.retry == true)
        #expect(rig.machine.mayExit(now: rig.now, storeDrained: true).exit == false)
        _ = rig.stored(.accepted(pending, .stored(seq: 1)))
        #expect(rig.machine.mayExit(now: rig.now, storeDrained: false).exit == false)
        #expect(rig.machine.mayExit(now: rig.now, storeDrained: true).exit == true)
        #expect(rig.machine.mayExit(now: rig.now + 5_000, storeDrained: false).exit == true)
    }

    @Test func finishingSaysByeToEveryConnection() throws {
        var rig = try Rig()
        let a = rig.connect("gl-school-1")
        let b = rig.connect("gl-psb")
        let byes = rig.handle(.finish).sends
        #expect(byes.allSatisfy { $0.command == .bye })
        #expect(Set(byes.map(\.to)) == [a, b])
    }
}
