import Foundation
import ReferralClientTestKit
import ReferralProtocol
import Testing

@testable import ReferralClient

/// A message queued without waiting for its outcome and then REJECTED by the broker is surfaced: listed by
/// `outbox(state: .rejected)` and handed out once by `nextRejection` (issue 8, item 15).
@Suite struct OutboxRejectionTests {
    @Test func laterRejectionIsListedAndTakenOnce() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        let broker = try FakeBroker { command in
            guard case .send(let send) = command, send.to.contains("no-such-node") else {
                return FakeBroker.standard(command)
            }
            return [
                .rejected(
                    Rejected(
                        id: send.id, code: .unknownRecipient, retry: false, reason: "recipient is not a known node",
                        recipient: "no-such-node"))
            ]
        }
        defer { broker.stop() }
        // Queued by one run that does not wait (like `referralctl send --no-wait`), answered in the next.
        do {
            let sender = try ReferralNode(configuration: fastConfiguration(in: directory, broker: broker.endpoint))
            try await sender.send(outgoing("test-a:fine"))
            try await sender.send(outgoing("test-a:lost", to: ["no-such-node"]))
            await sender.shutdown()
        }
        let node = try ReferralNode(configuration: fastConfiguration(in: directory, broker: broker.endpoint))
        #expect(try node.outbox().map(\.state) == [.queued, .queued])
        node.start()
        let rejection = try #require(try await node.nextRejection(timeout: .seconds(10)))
        #expect(rejection.id == "test-a:lost" && rejection.state == .rejected)
        #expect(rejection.code == "UNKNOWN_RECIPIENT" && rejection.recipient == "no-such-node")
        #expect(try await node.nextRejection(timeout: .milliseconds(50)) == nil)
        #expect(try await eventually { try node.outboxEntry(id: "test-a:fine")?.state == .accepted })
        #expect(try node.outbox(state: .rejected).map(\.id) == ["test-a:lost"])
        #expect(try node.outbox(state: .accepted).map(\.id) == ["test-a:fine"])
        #expect(try node.outbox().map(\.id) == ["test-a:fine", "test-a:lost"])
        #expect(try node.outbox(limit: 1).map(\.id) == ["test-a:lost"])
        await node.shutdown()
        // Taken once for good: a later run does not hand it out again, but still lists it.
        let again = try ReferralNode(configuration: configuration(in: directory, store: "test-a.sqlite"))
        #expect(try await again.nextRejection(timeout: .zero) == nil)
        #expect(try again.outbox(state: .rejected).count == 1)
        await again.shutdown()
    }
}
