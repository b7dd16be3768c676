import Foundation
import ReferralProtocol
import Testing

extension DaemonSuite {
    /// 1/RBP §7.1 (takeover) and §7.11 agree on what a connection whose session was taken over gets (issue 8,
    /// item 14): a PING there is outside a session (ERROR NOT_CONNECTED, never PONG); PONG and BYE get nothing.
    @Suite("session takeover")
    struct TakeoverTests {
        /// The next message from the broker, read raw (RawNode's readers hide PONGs), decoded.
        func reply(_ node: RawNode, within duration: Duration = .seconds(5)) async throws -> Command? {
            guard let frames = try await node.anything(within: duration) else { return nil }
            return try Codec.decode(frames, direction: .brokerToNode).get()
        }

        @Test func pingOnATakenOverConnectionGetsNotConnected() async throws {
            var options = DaemonOptions()
            options.heartbeatMs = 10_000  // no broker PING may come between a PING and its answer
            try await withDaemon(options) { h in
                let (old, new) = (try h.raw("test-a"), try h.raw("test-a"))
                defer { for node in [old, new] { node.close() } }
                try await old.hello("test-a")
                try await new.hello("test-a")

                try await old.send(.ping)
                let answer = try await reply(old)
                guard case .error(let refused)? = answer else {
                    return h.fail("the old connection's PING got \(answer?.name ?? "nothing")")
                }
                h.expect(
                    refused.code == .notConnected && refused.command == "PING" && !refused.fatal,
                    "the old connection's PING got \(refused.code) (\(refused.reason))")
                try await old.send(.pong)
                try await old.send(.bye)
                let after = try await reply(old, within: silence)
                h.expect(after == nil, "PONG or BYE on the old connection was answered with \(after?.name ?? "")")

                try await new.send(.ping)
                let pong = try await reply(new)
                h.expect(pong == .pong, "the new connection's PING got \(pong?.name ?? "nothing")")
            }
        }
    }
}
