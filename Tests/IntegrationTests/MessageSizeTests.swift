import Foundation
import ReferralClient
import ReferralProtocol
import Testing

extension DaemonSuite {
    @Suite("Message size, frame count and resolved recipients")
    struct MessageSizeTests {
        /// 1/RBP §13.7: the message-size limit (`max_header` + `max_body` + 4096 octets per frame) is what a frame
        /// may carry, CURVE's framing not counted. With `max_body_bytes` 4096 that is 24576 octets: bodies up to
        /// it, the last 32 octets included, are answered REJECTED TOO_LARGE on a connection that stays usable.
        @Test func everyBodyUpToTheMessageSizeLimitIsAnsweredTooLarge() async throws {
            var options = DaemonOptions()
            options.maxBodyBytes = 4_096
            try await withDaemon(options) { h in
                let a = try h.raw("test-a")
                defer { a.close() }
                let welcome = try await a.hello("test-a")
                let limit = welcome.maxHeader + welcome.maxBody + 4_096
                for (index, size) in [limit - 33, limit - 32, limit - 1, limit].enumerated() {
                    let big = Made.send(
                        String(format: "test-a:edge-%06d", index), body: [UInt8](repeating: 0x61, count: size))
                    let answer = try await a.send(big, timeout: .seconds(5))
                    guard case .rejected(let rejected) = answer, rejected.code == .tooLarge else {
                        return h.fail("a body of \(size) octets (limit \(limit)) was answered \(answer.name)")
                    }
                }
                let after = try await a.send(Made.send("test-a:edge-after-000001"))
                if case .accepted = after {} else { h.fail("the SEND after the large bodies got \(after.name)") }
            }
        }

        /// 1/RBP §13.7: the broker keeps at most 5 frames of a message. A SEND of 3 + 1024 frames of 256 KiB
        /// (256 MiB, every frame under the size limit) is answered BAD_FRAMES, and the broker's peak resident
        /// memory grows by less than 1.25 times the message: what libzmq holds until the last frame is in (its
        /// frames are released as the broker reads past the fifth), the figure §13.7 documents.
        @Test func aManyFrameSendCostsAtMostItsTransportBuffer() async throws {
            try await withDaemon { h in
                let a = try h.raw("test-a")
                defer { a.close() }
                try await a.hello("test-a")
                let pid = try h.unwrap(h.daemon.pid, "no daemon pid")
                let before = try h.unwrap(peakResidentBytes(pid: pid), "no VmHWM for \(pid)")

                let frame = [UInt8](repeating: 0x62, count: 256 * 1_024)
                let header = Array("{\"id\":\"test-a:frames-000001\",\"to\":[\"test-b\"],\"kind\":\"followup.visit\",\"priority\":\"routine\"}".utf8)
                let frames = [Array("RBP".utf8) + [1], Array("SEND".utf8), header]
                    + Array(repeating: frame, count: 1_024)
                try await a.send(frames: frames)
                let error: ErrorReply = try await a.expect("ERROR to the many-frame SEND", timeout: .seconds(30)) {
                    command in
                    if case .error(let error) = command { return error }
                    return nil
                }
                h.expect(error.code == .badFrames, "the many-frame SEND was answered \(error.code)")
                let after = try h.unwrap(peakResidentBytes(pid: pid), "no VmHWM for \(pid)")
                let message = 1_024 * 256 * 1_024
                h.expect(
                    after - before < message * 5 / 4,
                    "the broker's peak RSS grew by \((after - before) >> 20) MiB for a \(message >> 20) MiB message")
                // Receiving it took longer than the session's liveness: a new HELLO, and the broker serves it.
                try await a.hello("test-a")
                let fine = try await a.send(Made.send("test-a:frames-after-000001"))
                if case .accepted = fine {} else { h.fail("the SEND after the many-frame one got \(fine.name)") }
            }
        }

        /// 1/RBP §7.3, §9, §13.7: a role address that resolves to more nodes than `max_recipients` is REJECTED
        /// TOO_LARGE with `"field": "to"`, like a `to` with too many elements.
        @Test func aRoleResolvingToTooManyNodesIsTooLargeInTo() async throws {
            var options = DaemonOptions()
            options.maxRecipients = 1
            try await withDaemon(options) { h in
                let a = try h.raw("test-a")
                defer { a.close() }
                try await a.hello("test-a")
                let answer = try await a.send(Made.send("test-a:fan-000001", to: ["role:health/*@350102001"]))
                guard case .rejected(let rejected) = answer else {
                    return h.fail("a role resolving to 2 nodes with max_recipients 1 got \(answer.name)")
                }
                h.expect(
                    rejected.code == .tooLarge && rejected.field == "to",
                    "REJECTED \(rejected.code) field \(rejected.field ?? "absent")")
            }
        }
    }
}

/// The peak resident set size of a process (VmHWM), in octets.
func peakResidentBytes(pid: Int32) -> Int? {
    guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
    for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
        return line.split(separator: " ").dropFirst().first.flatMap { Int($0) }.map { $0 * 1_024 }
    }
    return nil
}
