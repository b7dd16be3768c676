import Foundation
import ReferralClient
import ReferralProtocol
import Testing

extension DaemonSuite {
    @Suite("large messages on a slow link")
    struct SlowLinkTests {
        /// 1/RBP §11.1, §11.2: a message in transit counts as life. Both nodes reach the broker through a link of
        /// 20,000 octets per second; a body near `max_body` (256 KiB here) takes about 12.5 s each way, far more
        /// than liveness × heartbeat (3 s). Without the transfer allowance the broker ends the uploading node's
        /// session, the receiving node gives up on its silent broker, and each restart begins the transfer
        /// again, so the message never arrives. With it, the message crosses both ways, exactly once, and the
        /// SEND is answered once.
        @Test func aBodyNearTheMaximumCrossesA20KBLinkBothWays() async throws {
            var options = DaemonOptions()
            options.maxBodyBytes = 262_144
            options.heartbeatMs = 1_000
            try await withDaemon(options) { h in
                let link = try SlowLinkProxy(upstream: h.daemon.endpoint, octetsPerSecond: 20_000)
                defer { link.stop() }
                let sender = try h.node("test-a", broker: link.endpoint)
                let receiver = try h.node("test-b", broker: link.endpoint)
                let message = Made.largeMessage("test-a:large", to: ["test-b"], size: 250_000)
                let started = ContinuousClock.now
                _ = try await sender.send(message)

                let outcome = try await sender.outcome(of: message.id, timeout: .seconds(45))
                guard case .accepted(_, let duplicate) = outcome else {
                    throw HarnessError("the large SEND was not accepted: \(outcome)")
                }
                h.expect(!duplicate, "the upload was answered once, not resent")
                let got = try await receiver.receive(count: 1, timeout: .seconds(45))
                print("slow link test: 250,000 octets up and down at 20,000 octets/s in \(ContinuousClock.now - started)")
                try h.require(got.count == 1, "the large message arrives")
                h.expect(got[0].id == message.id && got[0].body == message.body, "it arrives whole")
                h.expect(try await receiver.nextMessage(timeout: .seconds(1)) == nil, "and only once")
            }
        }
    }
}
