import Foundation
import ReferralClient
import ReferralProtocol
import Testing

extension DaemonSuite {
    @Suite("nodes resume at once when the broker is back")
    struct ReconnectTests {
        /// 1/RBP §11.4: a node notices a dropped connection at once and says HELLO on the first connection that
        /// gets through, so a message sent after a broker restart reaches an idle listening node well within one
        /// heartbeat. The heartbeat here is 10 s; a node that waits for the broker's silence (liveness × heartbeat,
        /// 30 s) or for its next PING misses the 8 s allowed. Both a crash (SIGKILL, nothing said) and a stop
        /// (SIGTERM, BYE) are tried; nothing is lost or duplicated.
        @Test func anIdleNodeResumesWithinAHeartbeatOfABrokerRestart() async throws {
            var options = DaemonOptions()
            options.heartbeatMs = 10_000
            options.ackTimeoutMs = 30_000
            try await withDaemon(options) { h in
                let sender = try h.node("test-a")
                let listener = try h.node("test-b")
                _ = try await sender.send(Made.message("test-a:before", to: ["test-b"]))
                let first = try await listener.receive(count: 1)
                try h.require(first.map(\.id) == ["test-a:before"], "the first message arrives: \(first.map(\.id))")

                for (index, crash) in [true, false].enumerated() {
                    if crash {
                        try await h.daemon.kill9()
                    } else {
                        _ = try await h.daemon.terminate()
                    }
                    try await h.daemon.start()
                    let restarted = ContinuousClock.now
                    let id = "test-a:after-\(index)"
                    _ = try await sender.send(Made.message(id, to: ["test-b"]))
                    let got = try await listener.receive(count: 1, timeout: .seconds(8))
                    let waited = ContinuousClock.now - restarted
                    print("reconnect test (\(crash ? "SIGKILL" : "SIGTERM")): delivered \(waited) after the restart")
                    try h.require(
                        got.map(\.id) == [id],
                        "after a \(crash ? "crash" : "stop") the message arrives within 8 s (heartbeat 10 s): "
                            + "\(got.map(\.id))")
                }
                // Nothing more: no duplicate of any message.
                h.expect(try await listener.nextMessage(timeout: .milliseconds(500)) == nil, "no duplicate")
            }
        }

        /// The same after a connection reset: the link between an idle listening node and the broker drops (the
        /// broker keeps running); the node connects again through it and says HELLO at once, so a message sent
        /// after the reset arrives well within one heartbeat (10 s).
        @Test func anIdleNodeResumesWithinAHeartbeatOfAConnectionReset() async throws {
            var options = DaemonOptions()
            options.heartbeatMs = 10_000
            options.ackTimeoutMs = 30_000
            try await withDaemon(options) { h in
                let link = try SlowLinkProxy(upstream: h.daemon.endpoint, octetsPerSecond: nil)
                defer { link.stop() }
                let sender = try h.node("test-a")
                let listener = try h.node("test-b", broker: link.endpoint)
                _ = try await sender.send(Made.message("test-a:before", to: ["test-b"]))
                let first = try await listener.receive(count: 1)
                try h.require(first.map(\.id) == ["test-a:before"], "the first message arrives: \(first.map(\.id))")

                link.cutAll()
                let reset = ContinuousClock.now
                _ = try await sender.send(Made.message("test-a:after", to: ["test-b"]))
                let got = try await listener.receive(count: 1, timeout: .seconds(8))
                print("reconnect test (reset): delivered \(ContinuousClock.now - reset) after the reset")
                try h.require(
                    got.map(\.id) == ["test-a:after"], "after a reset the message arrives within 8 s: \(got.map(\.id))")
                h.expect(try await listener.nextMessage(timeout: .milliseconds(500)) == nil, "no duplicate")
            }
        }
    }
}
