import Foundation
import ReferralClient
import ReferralClientTestKit
import Testing

/// The test kit as an integrator uses it (README, "Testing a node's code"): only the public API of
/// ReferralClient and ReferralClientTestKit, no `@testable`.
@Suite struct TestKitTests {
    /// Stands for an integrator's code: answers every `test.note` with a `test.reply` to its sender.
    static func replyToNotes(_ node: ReferralNode) async throws {
        guard let message = try await node.nextMessage(timeout: .seconds(5)), message.kind == "test.note" else {
            return
        }
        try await node.send(
            OutgoingMessage(
                id: "reply-to-\(message.id)", to: [message.from], kind: "test.reply", body: Array("made-up".utf8)))
        try await node.complete(message)
    }

    @Test func anIntegratorsHandlerRunsAgainstTheFakeBroker() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        let broker = try FakeBroker()
        defer { broker.stop() }
        let node = try ReferralNode(
            configuration: broker.nodeConfiguration(node: "test-b", store: directory.file("test-b.sqlite")))
        node.start()
        #expect(try await eventually { node.isConnected })

        let seq = broker.deliver(
            id: "test-a:000001", from: "test-a", to: ["test-b"], kind: "test.note", body: Array("made-up".utf8))
        try await Self.replyToNotes(node)

        #expect(try await broker.waitUntil { $0.acknowledged == [seq] && $0.sends.count == 1 })
        let outcome = try await node.outcome(of: "reply-to-test-a:000001", timeout: .seconds(5))
        #expect(outcome == .accepted(seq: FakeBroker.seq(for: "reply-to-test-a:000001"), duplicate: false))
        #expect(broker.sends.map(\.kind) == ["test.reply"])
        #expect(broker.sends.first?.to == ["test-a"])
        await node.shutdown()
    }
}
