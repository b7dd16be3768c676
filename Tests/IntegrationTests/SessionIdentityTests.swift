import Foundation
import ReferralClient
import ReferralProtocol
import Testing

extension DaemonSuite {
    @Suite("A session belongs to an active node's current key")
    struct SessionIdentityTests {
        /// After a reload that gives test-c a new key, the connection that authenticated with the old key gets
        /// ERROR NODE_SUSPENDED and from then on nothing: its HELLO is not answered (no session), its SEND is not
        /// stored, and messages for test-c are not delivered to it. A connection with the new key gets them.
        @Test func rekeyedNodesOldConnectionIsNeverServedAgain() async throws {
            try await withDaemon { h in
                let old = try h.raw("test-c")
                defer { old.close() }
                try await old.hello("test-c")
                let d = try h.raw("test-d")
                defer { d.close() }
                try await d.hello("test-d")

                try h.daemon.rekey("test-c")
                try h.daemon.writeDirectory(TestNode.standard)
                let reply = try await h.reload()
                h.expect(reply.object["rekeyed"] as? [String] == ["test-c"], "RELOAD answered \(reply.object)")
                let cut: ErrorReply = try await old.expect("ERROR NODE_SUSPENDED") { command in
                    if case .error(let error) = command { return error }
                    return nil
                }
                h.expect(cut.code == .nodeSuspended && cut.fatal, "ERROR \(cut)")

                try await old.send(.hello(Hello(node: "test-c", window: 64, agent: "integration-test/1")))
                try await old.send(.send(Made.send("test-c:old-key-000001", to: ["test-d"])))
                let forC = try await d.send(Made.send("test-d:to-new-c-000001", to: ["test-c"]))
                if case .accepted = forC {} else { h.fail("test-d's SEND to test-c got \(forC.name)") }
                let answer = try await old.anything(within: silence)
                h.expect(
                    answer == nil,
                    "the old key's connection got \(answer.map { String(decoding: $0.count > 1 ? $0[1] : [], as: UTF8.self) } ?? "")"
                )
                h.expect(
                    try await h.trail(sender: "test-c", id: "test-c:old-key-000001").isEmpty,
                    "a SEND on the old key's connection was stored")
                h.expect(
                    try await h.nodeStatus("test-c")["connected"] as? Bool == false,
                    "test-c has a session on its old key")

                let fresh = try h.raw("test-c")
                defer { fresh.close() }
                try await fresh.hello("test-c")
                let deliver: Deliver = try await fresh.expect("DELIVER on the new key") { command in
                    if case .deliver(let deliver) = command { return deliver }
                    return nil
                }
                h.expect(deliver.id == "test-d:to-new-c-000001", "DELIVER \(deliver.id)")
            }
        }

        /// A failed HELLO inside a live session ends that session at once (1/RBP §7.1, §7.13), whether it names
        /// another node (IDENTITY_MISMATCH) or is invalid (BAD_FIELD `window`): the PING and SEND sent right behind
        /// it, without waiting, get NOT_CONNECTED and nothing is stored.
        @Test func aFailedHelloEndsTheSessionAtOnce() async throws {
            try await withDaemon { h in
                let spoof = Hello(node: "test-c", window: 64, agent: "integration-test/1")
                let zeroWindow = Array("{\"node\":\"test-a\",\"window\":0}".utf8)
                let badHellos: [(String, [[UInt8]], ErrorCode)] = [
                    ("IDENTITY_MISMATCH", Codec.encode(.hello(spoof)), .identityMismatch),
                    ("BAD_FIELD", [Array("RBP".utf8) + [1], Array("HELLO".utf8), zeroWindow], .badField),
                ]
                for (index, (name, frames, code)) in badHellos.enumerated() {
                    let a = try h.raw("test-a")
                    defer { a.close() }
                    try await a.hello("test-a")
                    let id = String(format: "test-a:after-failed-hello-%06d", index)
                    try await a.send(frames: frames)
                    try await a.send(.ping)
                    try await a.send(.send(Made.send(id, to: ["test-d"])))
                    try await a.idle(for: silence)
                    let answers = a.queuedCommands
                    let errors = answers.compactMap { command -> ErrorReply? in
                        if case .error(let error) = command { return error }
                        return nil
                    }
                    h.expect(
                        errors.first?.code == code && errors.first?.fatal == true,
                        "\(name): the bad HELLO was answered \(answers.map(\.name))")
                    h.expect(
                        errors.dropFirst().map(\.code) == [.notConnected, .notConnected]
                            && errors.dropFirst().map(\.command) == ["PING", "SEND"],
                        "\(name): after the failed HELLO: \(answers.map(\.name)) \(errors.map(\.code))")
                    h.expect(try await h.trail(sender: "test-a", id: id).isEmpty, "\(name): \(id) was stored")
                }
            }
        }
    }
}
