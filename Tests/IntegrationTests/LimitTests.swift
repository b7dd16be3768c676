import Foundation
import ReferralClient
import ReferralProtocol
import Testing

extension DaemonSuite {
    @Suite("Rate and size limits")
    struct LimitTests {
        /// With a rate limit of 5 SENDs per second and a burst of 5, a burst of 20 pipelined SENDs from one node
        /// gets every answer: the first 5 (the full bucket) ACCEPTED, some REJECTED RATE_LIMITED with retry true
        /// (nothing stored). Another node is not affected, and a rate-limited SEND resent later is accepted: the
        /// daemon keeps serving.
        @Test func rateLimitRejectsTheExcessAndTheDaemonKeepsServing() async throws {
            var options = DaemonOptions()
            options.rateLimit = (perSecond: 5, burst: 5)
            try await withDaemon(options) { h in
                let a = try h.raw("test-a")
                defer { a.close() }
                try await a.hello("test-a")
                let sends = (1...20).map { Made.send(String(format: "test-a:burst-%06d", $0), to: ["test-b"]) }
                for send in sends { try await a.send(.send(send)) }
                var answers: [String: Command] = [:]
                while answers.count < sends.count {
                    let answer: Command = try await a.expect("answers to the burst (\(answers.count) so far)") {
                        command in
                        switch command {
                        case .accepted, .rejected: command
                        default: nil
                        }
                    }
                    switch answer {
                    case .accepted(let accepted): answers[accepted.id] = answer
                    case .rejected(let rejected): answers[rejected.id] = answer
                    default: break
                    }
                }
                var accepted: [String] = []
                var limited: [String] = []
                for send in sends {
                    switch answers[send.id] {
                    case .accepted?: accepted.append(send.id)
                    case .rejected(let rejected)?:
                        h.expect(rejected.code == .rateLimited, "\(send.id): \(rejected.code)")
                        h.expect(rejected.retry, "\(send.id): RATE_LIMITED without retry")
                        limited.append(send.id)
                    default: h.fail("\(send.id) got no answer")
                    }
                }
                h.expect(Array(accepted.prefix(5)) == sends.prefix(5).map(\.id), "accepted: \(accepted)")
                h.expect(!limited.isEmpty, "none of 20 SENDs at once was rate limited (accepted \(accepted.count))")
                if let first = limited.first {
                    h.expect(try await h.trail(sender: "test-a", id: first).isEmpty, "\(first) was stored")
                }

                // Another node has its own bucket.
                let c = try h.raw("test-c")
                defer { c.close() }
                try await c.hello("test-c")
                let other = try await c.send(Made.send("test-c:unaffected-000001", to: ["test-d"]))
                if case .accepted = other {} else { h.fail("test-c's SEND got \(other.name)") }

                // The sender backs off and resends: accepted once the bucket has refilled.
                if let again = limited.last, let message = sends.first(where: { $0.id == again }) {
                    try await h.eventually("the resent \(again) is accepted") {
                        if case .accepted = try await a.send(message) { return true }
                        try await Task.sleep(for: .milliseconds(200))
                        return false
                    }
                }
                let records = try await h.auditRecords()
                h.expect(
                    records.contains {
                        $0["event"] as? String == "rejected" && $0["code"] as? String == "RATE_LIMITED"
                    },
                    "no audited RATE_LIMITED rejection")
                h.expect(h.daemon.isRunning, "the daemon stopped")
            }
        }

        /// With `max_body_bytes` 4096 (announced in WELCOME), a SEND whose body is one octet over is REJECTED
        /// TOO_LARGE (not retryable, nothing stored), one of exactly 4096 octets is accepted, a header over
        /// `max_header` gets ERROR TOO_LARGE, and a message over the socket's size limit (which libzmq drops
        /// with the connection, unanswered) does not disturb the daemon.
        @Test func oversizedInputIsAnsweredWithTooLarge() async throws {
            var options = DaemonOptions()
            options.maxBodyBytes = 4_096
            try await withDaemon(options) { h in
                let a = try h.raw("test-a")
                defer { a.close() }
                let welcome = try await a.hello("test-a")
                h.expect(welcome.maxBody == 4_096, "WELCOME announces max_body \(welcome.maxBody)")

                let big = Made.send("test-a:big-000001", body: [UInt8](repeating: 0x61, count: 4_097))
                let answer = try await a.send(big)
                guard case .rejected(let rejected) = answer else {
                    return h.fail("a body of 4097 octets was answered \(answer.name)")
                }
                h.expect(rejected.code == .tooLarge && !rejected.retry, "REJECTED \(rejected.code)")
                h.expect(try await h.trail(sender: "test-a", id: big.id).isEmpty, "the oversized SEND was stored")

                let fits = Made.send("test-a:fits-000001", body: [UInt8](repeating: 0x62, count: 4_096))
                let fine = try await a.send(fits)
                if case .accepted = fine {} else { h.fail("a body of exactly max_body got \(fine.name)") }

                // A header over max_header (16384): ERROR TOO_LARGE, the header is not even parsed.
                let header = "{\"id\":\"test-a:huge-header\",\"x\":\"" + String(repeating: "y", count: 17_000) + "\"}"
                try await a.send(frames: [Array("RBP".utf8) + [1], Array("SEND".utf8), Array(header.utf8), []])
                let error: ErrorReply = try await a.expect("ERROR to the huge header") { command in
                    if case .error(let error) = command { return error }
                    return nil
                }
                h.expect(error.code == .tooLarge && !error.fatal, "ERROR \(error.code) fatal \(error.fatal)")

                // Over ZMQ_MAXMSGSIZE (max_header + max_body + 4096): libzmq drops that connection.
                let flood = try h.raw("test-c")
                try await flood.hello("test-c")
                let huge = Made.send(
                    "test-c:flood-000001", to: ["test-d"], body: [UInt8](repeating: 0x63, count: 40_000))
                try await flood.send(.send(huge))
                flood.close()

                let after = try await a.send(Made.send("test-a:after-000001"))
                if case .accepted = after {} else { h.fail("a SEND after the oversized input got \(after.name)") }
                h.expect(h.daemon.isRunning, "the daemon stopped")
                h.expect(try await h.trail(sender: "test-c", id: huge.id).isEmpty, "the flood was stored")
            }
        }
    }
}
