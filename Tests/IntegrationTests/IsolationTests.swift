import Foundation
import ReferralClient
import ReferralProtocol
import Testing

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

extension DaemonSuite {
    @Suite("A stalled recipient does not hold up others")
    struct IsolationTests {
        /// Recipient E is a separate process (`referralctl listen`) that is SIGSTOPped while messages flow to
        /// it; meanwhile the pair C → D exchanges 100 messages completely (received and receipted), and
        /// the broker keeps accepting A's messages for E.
        @Test func stoppedRecipientDoesNotSlowAnotherPair() async throws {
            try await withDaemon { h in
                let eConfig = try h.configurationFile("test-e")
                let (listener, stdoutPath) = try h.launchReferralctl(["listen", "--config", eConfig], name: "listen-e")
                let a = try h.node("test-a")

                let warmUp = (1...20).map { String(format: "test-a:to-e-%06d", $0) }
                try await a.send(batch: warmUp.map { Made.message($0, to: ["test-e"]) })
                try await h.eventually("the listener of test-e prints messages") {
                    let output = FileManager.default.contents(atPath: stdoutPath) ?? Data()
                    return output.split(separator: UInt8(ascii: "\n")).count >= 5
                }
                try h.require(kill(listener.processIdentifier, SIGSTOP) == 0, "cannot SIGSTOP the listener")
                try await h.eventually("the listener is stopped") { processState(listener.processIdentifier) == "T" }

                // More for E while it is stopped: 100 × 32 KB (E's window of 64 puts 2 MB in flight to a process
                // that reads nothing).
                let backlog = (21...120).map { String(format: "test-a:to-e-%06d", $0) }
                try await a.send(batch: backlog.map { Made.largeMessage($0, to: ["test-e"], size: 32_000) })

                let c = try h.node("test-c")
                let d = try h.node("test-d")
                let ids = (1...100).map { String(format: "test-c:pair-%06d", $0) }
                try await c.send(batch: ids.map { Made.message($0, to: ["test-d"]) })
                let received = try await d.receive(count: 100, timeout: .seconds(30))
                h.expect(Set(received.map(\.id)) == Set(ids), "D received \(received.count) of 100")
                var receipted = 0
                for id in ids {
                    let receipts = try await c.waitForReceipts(of: id, count: 1, timeout: .seconds(30))
                    if receipts.count == 1 && receipts[0].delivered && receipts[0].recipient == "test-d" {
                        receipted += 1
                    }
                }
                h.expect(receipted == 100, "C has \(receipted) of 100 delivered receipts")

                let accepted = try await a.acceptedSeqs(backlog, timeout: .seconds(30))
                h.expect(
                    accepted.count == backlog.count, "the broker accepted \(accepted.count) of \(backlog.count) for E")
                h.expect(processState(listener.processIdentifier) == "T", "the listener was not stopped all along")

                kill(listener.processIdentifier, SIGCONT)
                kill(listener.processIdentifier, SIGKILL)
                listener.waitUntilExit()
            }
        }
    }
}

/// The state letter of a process from /proc (e.g. "S" sleeping, "T" stopped), nil if unknown.
func processState(_ pid: Int32) -> String? {
    guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/stat") else { return nil }
    let text = String(decoding: data, as: UTF8.self)
    // "pid (comm) S ...": the state follows the last ')'.
    guard let close = text.lastIndex(of: ")") else { return nil }
    return text[text.index(after: close)...].split(separator: " ").first.map(String.init)
}
