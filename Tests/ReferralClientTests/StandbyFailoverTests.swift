import Foundation
import ReferralClientTestKit
import ReferralProtocol
import Synchronization
import Testing

@testable import ReferralClient

/// A node given several endpoints of one broker (its active instance and standbys, 1/RBP §11.4), against fake
/// brokers on loopback sockets: it settles on the active one and nothing in its outbox is lost or sent twice there.
@Suite(.serialized, .timeLimit(.minutes(1))) struct StandbyFailoverTests {
    private func configuration(in directory: TemporaryDirectory, endpoints: [String]) -> NodeConfiguration {
        FakeBroker.nodeConfiguration(node: "test-a", endpoints: endpoints, store: directory.file("test-a.sqlite"))
    }

    @Test func settlesOnTheActiveInstanceAndSendsWhatWaitedThereOnce() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        let standby = try FakeBroker(pingEveryMs: nil, behavior: FakeBroker.standby)
        defer { standby.stop() }
        let active = try FakeBroker()
        defer { active.stop() }
        let node = try ReferralNode(
            configuration: configuration(in: directory, endpoints: [standby.endpoint, active.endpoint]))
        // Committed before the node has any session.
        let id = try await node.send(outgoing("test-a:1"))
        node.start()
        #expect(
            try await node.outcome(of: id, timeout: .seconds(10))
                == .accepted(seq: FakeBroker.seq(for: id), duplicate: false))
        #expect(node.isConnected)
        #expect(node.connectionProblem == nil)
        // The standby was asked first, answered NOT_ACTIVE and got nothing else.
        #expect(standby.helloCount >= 1)
        #expect(standby.received.allSatisfy { if case .hello = $0 { true } else { false } })
        // The node stays on the instance that welcomed it, and sent it the message once.
        try await Task.sleep(for: .milliseconds(500))
        #expect(active.helloCount == 1)
        #expect(active.sendIds == [id])
        await node.shutdown()
    }

    @Test func followsTheActiveInstanceWhenItStepsDownAndResendsThereOnce() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        // The first instance is active: it welcomes and takes the SEND but answers nothing (it is about to step
        // down); then it tells its session NOT_ACTIVE and answers as a standby from then on.
        let steppedDown = Mutex(false)
        let first = try FakeBroker { command in
            if steppedDown.withLock({ $0 }) { return FakeBroker.standby(command) }
            switch command {
            case .hello(let hello): return [FakeBroker.welcome(hello.node, ackTimeoutMs: 60_000)]
            case .ping: return [.pong]
            default: return []
            }
        }
        defer { first.stop() }
        let second = try FakeBroker()
        defer { second.stop() }
        let node = try ReferralNode(
            configuration: configuration(in: directory, endpoints: [first.endpoint, second.endpoint]))
        node.start()
        let id = try await node.send(outgoing("test-a:1"))
        #expect(try await first.waitUntil { $0.sendIds == [id] })
        #expect(second.helloCount == 0)

        steppedDown.withLock { $0 = true }
        first.push(FakeBroker.notActive)
        #expect(
            try await node.outcome(of: id, timeout: .seconds(10))
                == .accepted(seq: FakeBroker.seq(for: id), duplicate: false))
        #expect(node.isConnected)
        try await Task.sleep(for: .milliseconds(300))
        #expect(second.sendIds == [id])
        #expect(first.sendIds == [id])
        await node.shutdown()
    }

    /// An instance that stopped being the active one answers a QUERY with NOT_ACTIVE, fatal, carrying its `ref`:
    /// the query fails as without a session, and the session is over there too, so the node moves on.
    @Test func aQueryAnsweredNotActiveEndsTheSessionThere() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        let first = try FakeBroker { command in
            if case .query = command { return FakeBroker.standby(command) }
            return FakeBroker.standard(command)
        }
        defer { first.stop() }
        let second = try FakeBroker()
        defer { second.stop() }
        let node = try ReferralNode(
            configuration: configuration(in: directory, endpoints: [first.endpoint, second.endpoint]))
        node.start()
        #expect(try await eventually { node.isConnected })
        #expect(second.helloCount == 0)
        await #expect(throws: ReferralQueryError.notConnected) { try await node.overdue(timeout: .seconds(5)) }
        #expect(try await second.waitUntil { $0.helloCount == 1 })
        #expect(try await eventually { node.isConnected })
        #expect(first.helloCount == 1)
        await node.shutdown()
    }

    @Test func anEndpointWhereNothingListensIsPassedOver() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        let gone = try FakeBroker()
        let refusing = gone.endpoint
        gone.stop()  // nothing listens there now: the connection is refused
        let active = try FakeBroker()
        defer { active.stop() }
        let node = try ReferralNode(
            configuration: configuration(in: directory, endpoints: [refusing, active.endpoint]))
        node.start()
        let id = try await node.send(outgoing("test-a:1"))
        #expect(
            try await node.outcome(of: id, timeout: .seconds(10))
                == .accepted(seq: FakeBroker.seq(for: id), duplicate: false))
        #expect(active.sendIds == [id])
        await node.shutdown()
    }

    @Test func withOneEndpointNotActiveIsLikeAnyFatalError() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        // A standby for its first two HELLOs, then the active instance (it took over).
        let hellos = Mutex(0)
        let broker = try FakeBroker(pingEveryMs: nil) { command in
            if case .hello = command {
                let count = hellos.withLock { count in
                    count += 1
                    return count
                }
                if count <= 2 { return FakeBroker.standby(command) }
            }
            return FakeBroker.standard(command)
        }
        defer { broker.stop() }
        let node = try ReferralNode(configuration: fastConfiguration(in: directory, broker: broker.endpoint))
        let id = try await node.send(outgoing("test-a:1"))
        node.start()
        #expect(
            try await node.outcome(of: id, timeout: .seconds(10))
                == .accepted(seq: FakeBroker.seq(for: id), duplicate: false))
        #expect(broker.helloCount == 3)
        #expect(broker.sendIds == [id])
        await node.shutdown()
    }

    @Test func aStandbyAlwaysIsReportedAndTriedAgain() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        let standby = try FakeBroker(pingEveryMs: nil, behavior: FakeBroker.standby)
        defer { standby.stop() }
        let node = try ReferralNode(configuration: fastConfiguration(in: directory, broker: standby.endpoint))
        node.start()
        #expect(try await eventually { standby.helloCount >= 3 })
        #expect(!node.isConnected)
        #expect(node.connectionProblem?.contains("NOT_ACTIVE") == true)
        await node.shutdown()
    }
}
