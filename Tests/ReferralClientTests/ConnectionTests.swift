import Foundation
import ReferralClientTestKit
import ReferralProtocol
import Synchronization
import Testing

@testable import ReferralClient

/// The connection thread against a scripted fake broker on loopback (no daemon).
@Suite(.serialized, .timeLimit(.minutes(1))) struct ConnectionTests {
    @Test func sendDeliverReceiptAndHeartbeat() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        // No broker PINGs and a 100 ms heartbeat, so that the node pings.
        let broker = try FakeBroker(pingEveryMs: nil) { command in
            if case .hello(let hello) = command { return [FakeBroker.welcome(hello.node, heartbeatMs: 100)] }
            return FakeBroker.standard(command)
        }
        defer { broker.stop() }
        let node = try ReferralNode(configuration: fastConfiguration(in: directory, broker: broker.endpoint))
        node.start()

        let id = try await node.send(outgoing("test-a:1", caseId: "3f2a9c1e-8b4d-4e6f-9a0b-1c2d3e4f5a6b"))
        #expect(
            try await node.outcome(of: id, timeout: .seconds(5))
                == .accepted(seq: FakeBroker.seq(for: id), duplicate: false))
        #expect(node.isConnected)
        #expect(try node.outboxEntry(id: id)?.state == .accepted)

        let deliver = Deliver(
            seq: 1042, id: "test-b:1", from: "test-b", to: ["test-a"], kind: "referral.request", priority: .crisis,
            acceptedAt: 1_767_225_600_000, attempt: 1, body: Array("made-up".utf8))
        broker.push(.deliver(deliver))
        let message = try #require(try await node.nextMessage(timeout: .seconds(5)))
        #expect(message.seq == 1042)
        #expect(message.body == Array("made-up".utf8))
        #expect(try await eventually { broker.received.contains(.ack(Ack(seq: 1042))) })
        // A redelivery is acknowledged again but not stored again.
        var again = deliver
        again.attempt = 2
        broker.push(.deliver(again))
        #expect(try await eventually { broker.received.filter { $0 == .ack(Ack(seq: 1042)) }.count == 2 })
        #expect(try node.store.inboxCount() == 1)
        try await node.complete(message)

        let receipt = Receipt(
            receipt: 77, seq: FakeBroker.seq(for: id), id: id, recipient: "test-b", outcome: .delivered,
            at: 1_767_225_600_250)
        broker.push(.receipt(receipt))
        broker.push(.receipt(receipt))
        let receipts = try await node.waitForReceipts(of: id, count: 1, timeout: .seconds(5))
        #expect(receipts.map(\.receipt) == [77])
        #expect(
            try await eventually { broker.received.filter { $0 == .receiptAck(ReceiptAck(receipt: 77)) }.count == 2 })

        // PING is answered, and the node pings after heartbeat_ms (100 ms) of its own silence.
        broker.push(.ping)
        #expect(try await eventually { broker.received.contains(.pong) })
        #expect(try await eventually { broker.received.contains(.ping) })
        await node.shutdown()
        #expect(try await eventually { broker.received.last == .bye })
    }

    @Test func anUnansweredSendIsResentAfterTheAckTimeout() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        let sends = Mutex(0)
        let broker = try FakeBroker { command in
            if case .send(let send) = command {
                let count = sends.withLock { count in
                    count += 1
                    return count
                }
                if count == 1 { return [] }  // the first answer is "lost"
                return [.accepted(Accepted(id: send.id, seq: 5, duplicate: true))]
            }
            if case .hello(let hello) = command { return [FakeBroker.welcome(hello.node, ackTimeoutMs: 300)] }
            return FakeBroker.standard(command)
        }
        defer { broker.stop() }
        let node = try ReferralNode(configuration: fastConfiguration(in: directory, broker: broker.endpoint))
        node.start()
        let id = try await node.send(outgoing("test-a:1"))
        #expect(try await node.outcome(of: id, timeout: .seconds(5)) == .accepted(seq: 5, duplicate: true))
        #expect(broker.sendIds == ["test-a:1", "test-a:1"])
        await node.shutdown()
    }

    @Test func notConnectedLeadsToHelloAndResend() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        let refusedOnce = Mutex(false)
        let broker = try FakeBroker { command in
            if case .send = command, !refusedOnce.withLock({ $0 }) {
                refusedOnce.withLock { $0 = true }
                return [.error(ErrorReply(code: .notConnected, reason: "no session", fatal: false, command: "SEND"))]
            }
            return FakeBroker.standard(command)
        }
        defer { broker.stop() }
        let node = try ReferralNode(configuration: fastConfiguration(in: directory, broker: broker.endpoint))
        node.start()
        let id = try await node.send(outgoing("test-a:1"))
        #expect(
            try await node.outcome(of: id, timeout: .seconds(5))
                == .accepted(seq: FakeBroker.seq(for: id), duplicate: false))
        #expect(broker.helloCount == 2)
        #expect(broker.sendIds == ["test-a:1", "test-a:1"])
        await node.shutdown()
    }

    @Test func aDeadBrokerIsNoticedAndTheNodeReconnectsAndResends() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        // The first broker welcomes but never answers a SEND, then dies.
        let first = try FakeBroker { command in
            if case .hello(let hello) = command {
                return [FakeBroker.welcome(hello.node, heartbeatMs: 100, ackTimeoutMs: 60_000)]
            }
            return []
        }
        let node = try ReferralNode(configuration: fastConfiguration(in: directory, broker: first.endpoint))
        node.start()
        let id = try await node.send(outgoing("test-a:1"))
        #expect(try await eventually { first.sendIds == ["test-a:1"] })
        first.stop()
        // Silence for liveness × heartbeat (300 ms): a new socket, HELLO to the new broker, and the SEND again.
        let second = try FakeBroker(endpoint: first.endpoint)
        defer { second.stop() }
        #expect(
            try await node.outcome(of: id, timeout: .seconds(10))
                == .accepted(seq: FakeBroker.seq(for: id), duplicate: false))
        #expect(second.helloCount >= 1)
        #expect(second.sendIds.first == "test-a:1")
        await node.shutdown()
    }

    @Test func rejectionsRetryableAndFinal() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        let overloaded = Mutex(0)
        let broker = try FakeBroker { command in
            guard case .send(let send) = command else { return FakeBroker.standard(command) }
            if send.id == "test-a:busy",
                overloaded.withLock({ count in
                    count += 1
                    return count
                }) <= 2
            {
                return [.rejected(Rejected(id: send.id, code: .overloaded, retry: true, reason: "busy"))]
            }
            if send.to.contains("no-such-node") {
                return [
                    .rejected(
                        Rejected(
                            id: send.id, code: .unknownRecipient, retry: false, reason: "recipient is not a known node",
                            recipient: "no-such-node"))
                ]
            }
            return FakeBroker.standard(command)
        }
        defer { broker.stop() }
        let node = try ReferralNode(configuration: fastConfiguration(in: directory, broker: broker.endpoint))
        node.start()
        let busy = try await node.send(outgoing("test-a:busy"))
        let lost = try await node.send(outgoing("test-a:lost", to: ["no-such-node"]))
        #expect(
            try await node.outcome(of: busy, timeout: .seconds(5))
                == .accepted(seq: FakeBroker.seq(for: busy), duplicate: false))
        #expect(broker.sendIds.filter { $0 == busy }.count == 3)
        #expect(try node.outboxEntry(id: busy)?.retries == 2)
        #expect(
            try await node.outcome(of: lost, timeout: .seconds(5))
                == .rejected(code: "UNKNOWN_RECIPIENT", retry: false, reason: "recipient is not a known node"))
        let entry = try #require(try node.outboxEntry(id: lost))
        #expect(entry.state == .rejected)
        #expect(entry.recipient == "no-such-node")
        try await Task.sleep(for: .milliseconds(300))
        #expect(broker.sendIds.filter { $0 == lost }.count == 1)  // never resent
        await node.shutdown()
    }

    @Test func messagesOfOneCaseAreSentOneAtATime() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        let broker = try FakeBroker { command in
            if case .send = command { return [] }  // answered by hand below
            if case .hello(let hello) = command { return [FakeBroker.welcome(hello.node, ackTimeoutMs: 60_000)] }
            return FakeBroker.standard(command)
        }
        defer { broker.stop() }
        let node = try ReferralNode(configuration: fastConfiguration(in: directory, broker: broker.endpoint))
        node.start()
        let caseId = "3f2a9c1e-8b4d-4e6f-9a0b-1c2d3e4f5a6b"
        _ = try await node.send(batch: [
            outgoing("c-1", caseId: caseId), outgoing("c-2", caseId: caseId), outgoing("free"),
        ])
        #expect(try await eventually { Set(broker.sendIds) == ["c-1", "free"] })
        try await Task.sleep(for: .milliseconds(200))
        #expect(!broker.sendIds.contains("c-2"))
        broker.push(.accepted(Accepted(id: "c-1", seq: 1, duplicate: false)))
        #expect(try await eventually { broker.sendIds.contains("c-2") })
        await node.shutdown()
    }

    @Test func theOutboxIsSentAfterARestart() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        let broker = try FakeBroker()
        defer { broker.stop() }
        do {
            // Committed while no connection thread runs (like `send --no-wait`).
            let node = try ReferralNode(configuration: fastConfiguration(in: directory, broker: broker.endpoint))
            _ = try await node.send(outgoing("test-a:1"))
            await node.shutdown()
        }
        let node = try ReferralNode(configuration: fastConfiguration(in: directory, broker: broker.endpoint))
        node.start()
        #expect(
            try await node.outcome(of: "test-a:1", timeout: .seconds(5))
                == .accepted(seq: FakeBroker.seq(for: "test-a:1"), duplicate: false))
        await node.shutdown()
    }

    @Test func connectsOnceTheBrokerComesUp() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        let probe = try FakeBroker()
        let endpoint = probe.endpoint
        probe.stop()  // nothing listens there now
        let node = try ReferralNode(configuration: fastConfiguration(in: directory, broker: endpoint))
        node.start()
        let id = try await node.send(outgoing("test-a:1"))
        try await Task.sleep(for: .milliseconds(700))
        #expect(!node.isConnected)
        #expect(node.connectionProblem != nil)
        let broker = try FakeBroker(endpoint: endpoint)
        defer { broker.stop() }
        #expect(
            try await node.outcome(of: id, timeout: .seconds(10))
                == .accepted(seq: FakeBroker.seq(for: id), duplicate: false))
        #expect(node.connectionProblem == nil)
        await node.shutdown()
    }

    @Test func aRefusedHelloIsReportedAndRetriedWithBackoff() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        let broker = try FakeBroker { command in
            if case .hello = command {
                return [
                    .error(
                        ErrorReply(
                            code: .unknownNode, reason: "node is not in the directory", fatal: true, command: "HELLO"))
                ]
            }
            return []
        }
        defer { broker.stop() }
        let node = try ReferralNode(configuration: fastConfiguration(in: directory, broker: broker.endpoint))
        node.start()
        #expect(try await eventually { broker.helloCount >= 3 })
        #expect(!node.isConnected)
        #expect(node.connectionProblem?.contains("UNKNOWN_NODE") == true)
        await node.shutdown()
    }

    @Test func byeFromTheBrokerLeadsToANewSession() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        let broker = try FakeBroker()
        defer { broker.stop() }
        let node = try ReferralNode(configuration: fastConfiguration(in: directory, broker: broker.endpoint))
        node.start()
        #expect(try await eventually { node.isConnected })
        broker.push(.bye)
        #expect(try await eventually { broker.helloCount == 2 && node.isConnected })
        await node.shutdown()
    }
}
