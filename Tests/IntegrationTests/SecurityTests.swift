import Foundation
import ReferralClient
import ReferralProtocol
import Testing
import ZeroMQ

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// How long a test waits to be sure that nothing arrives (a refused handshake, an ignored key). Only ever an
/// upper bound on waiting; never asserted as a duration.
let silence: Duration = .milliseconds(1_200)

/// The key fingerprint of 1/RBP §13.3: the first 16 lowercase hex digits of the SHA-256 of the 32-octet key.
func fingerprint(_ key: CurveKey) -> String {
    String(SHA256.hex(SHA256.hash(key.bytes)).prefix(16))
}

extension DaemonSuite {
    @Suite("CURVE handshakes and identity")
    struct SecurityTests {
        /// A CURVE client whose key is not in the directory never gets a WELCOME (its handshake is refused), and
        /// the audit trail has an "auth-failed" record with the key's fingerprint and the peer address, never the
        /// key. Registered keys are still served.
        @Test func unknownKeyIsRefusedAndAudited() async throws {
            try await withDaemon { h in
                let stranger = try Curve.generateKeyPair()
                let raw = try RawNode(
                    endpoint: h.daemon.endpoint,
                    curve: RawNode.Curve(
                        publicKey: stranger.publicKey, secretKey: stranger.secretKey,
                        serverKey: h.daemon.serverKeys.publicKey))
                defer { raw.close() }
                let wanted = fingerprint(stranger.publicKey)
                let answer = try await raw.tryHello("test-a", timeout: silence)
                h.expect(answer == nil, "an unknown key got \(answer?.name ?? "") to its HELLO")

                var seen: [String] = []
                try await h.eventually("an auth-failed record with fingerprint \(wanted) (seen: \(seen))") {
                    let records = try await h.auditRecords()
                    seen = records.compactMap { $0["event"] as? String }
                    return records.contains {
                        $0["event"] as? String == "auth-failed" && $0["key_fingerprint"] as? String == wanted
                            && !(($0["peer"] as? String) ?? "").isEmpty
                    }
                }

                // The same through referralctl, for the provincial audit system: JSON lines.
                let export = try await h.referralctl(["audit", "export", "--since", "0", "--admin", h.daemon.admin])
                h.expect(export.status == 0, "referralctl audit export exited \(export.status): \(export.stderr)")
                let lines = export.stdout.split(separator: "\n").compactMap {
                    try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
                }
                h.expect(
                    lines.contains { $0["event"] as? String == "auth-failed" && "\($0)".contains(wanted) },
                    "referralctl audit export has no auth-failed line with \(wanted):\n\(export.stdout)")
                h.expect(!export.stdout.contains(stranger.publicKey.z85), "the export contains the key itself")

                let a = try h.raw("test-a")
                defer { a.close() }
                try await a.hello("test-a")
                h.expect(
                    try await h.nodeStatus("test-a")["connected"] as? Bool == true, "test-a is not connected")
            }
        }

        /// A node that has the wrong broker public key never completes the handshake: no WELCOME, no session.
        /// With the right one, the same key pair gets in.
        @Test func wrongServerKeyIsRefused() async throws {
            try await withDaemon { h in
                let keys = try h.daemon.keyPair("test-a")
                let impostorServer = try Curve.generateKeyPair().publicKey
                let wrong = try RawNode(
                    endpoint: h.daemon.endpoint,
                    curve: RawNode.Curve(
                        publicKey: keys.publicKey, secretKey: keys.secretKey, serverKey: impostorServer))
                defer { wrong.close() }
                let answer = try await wrong.tryHello("test-a", timeout: silence)
                h.expect(answer == nil, "a node with the wrong server key got \(answer?.name ?? "")")
                h.expect(
                    try await h.nodeStatus("test-a")["connected"] as? Bool == false,
                    "test-a has a session although its handshake could not complete")

                let right = try h.raw("test-a")
                defer { right.close() }
                let welcome = try await right.hello("test-a")
                h.expect(welcome.node == "test-a", "WELCOME for \(welcome.node)")
            }
        }

        /// With CURVE on, a plaintext client gets nothing at all: no WELCOME, not even an ERROR.
        @Test func plaintextClientIsRefused() async throws {
            try await withDaemon { h in
                let plain = try RawNode(endpoint: h.daemon.endpoint, curve: nil)
                defer { plain.close() }
                let answer = try await plain.tryHello("test-a", timeout: silence)
                h.expect(answer == nil, "a plaintext client got \(answer?.name ?? "") to its HELLO")
                h.expect(
                    try await h.nodeStatus("test-a")["connected"] as? Bool == false,
                    "a plaintext HELLO opened a session")
                let status = try await h.status()
                h.expect(
                    (status["broker"] as? [String: Any])?["security"] as? String == "curve",
                    "STATUS says security \(String(describing: (status["broker"] as? [String: Any])?["security"]))")
            }
        }

        /// A connection authenticated with test-a's key that says HELLO as test-b gets ERROR IDENTITY_MISMATCH
        /// (fatal, field "node"), has no session afterwards, and the attempt is audited with the claimed id,
        /// the key's node and its fingerprint. The real test-b is not disturbed; a spoof inside test-a's own
        /// session ends that session.
        @Test func spoofedSenderIsRejectedAndAudited() async throws {
            try await withDaemon { h in
                let realB = try h.raw("test-b")
                defer { realB.close() }
                try await realB.hello("test-b")

                let spoof = try h.raw("test-a")
                defer { spoof.close() }
                let answer = try await spoof.tryHello("test-b", timeout: .seconds(10))
                guard case .error(let error)? = answer else {
                    return h.fail("HELLO as test-b on test-a's key was answered \(answer?.name ?? "nothing")")
                }
                h.expect(error.code == .identityMismatch, "code \(error.code), expected IDENTITY_MISMATCH")
                h.expect(error.fatal && error.field == "node" && error.command == "HELLO", "ERROR \(error)")

                // No session on that connection: its SEND is refused, nothing is stored.
                try await spoof.send(.send(Made.send("test-a:spoof-000001", to: ["test-d"])))
                let refused: ErrorReply = try await spoof.expect("ERROR to the SEND without a session") { command in
                    if case .error(let error) = command { return error }
                    return nil
                }
                h.expect(refused.code == .notConnected, "a SEND after IDENTITY_MISMATCH got \(refused.code)")
                h.expect(try await h.trail(sender: "test-a", id: "test-a:spoof-000001").isEmpty, "it was stored")

                // The real test-b still has its session.
                let fine = try await realB.send(Made.send("test-b:after-spoof-000001", to: ["test-d"]))
                if case .accepted = fine {} else { h.fail("test-b's SEND after the spoof got \(fine.name)") }

                let keyPrint = fingerprint(try h.daemon.keyPair("test-a").publicKey)
                var seen: [[String: Any]] = []
                try await h.eventually("an audited IDENTITY_MISMATCH naming test-a and test-b (seen \(seen))") {
                    try await realB.idle(for: .milliseconds(20))  // keeps test-b's session alive
                    seen = try await h.auditRecords().filter { $0["code"] as? String == "IDENTITY_MISMATCH" }
                    return seen.contains {
                        $0["event"] as? String == "auth-failed" && $0["node"] as? String == "test-a"
                            && ($0["detail"] as? String ?? "").contains("test-b")
                            && $0["key_fingerprint"] as? String == keyPrint
                            && !(($0["peer"] as? String) ?? "").isEmpty
                    }
                }

                // Inside its own session: test-a says HELLO as test-c; the session ends.
                let a = try h.raw("test-a")
                defer { a.close() }
                try await a.hello("test-a")
                let again = try await a.tryHello("test-c", timeout: .seconds(10))
                guard case .error(let second)? = again, second.code == .identityMismatch, second.fatal else {
                    return h.fail("HELLO as test-c inside test-a's session: \(again?.name ?? "nothing")")
                }
                try await h.eventually("test-a's session ended") {
                    try await realB.idle(for: .milliseconds(20))
                    return try await h.nodeStatus("test-a")["connected"] as? Bool == false
                }
                h.expect(
                    try await h.nodeStatus("test-b")["connected"] as? Bool == true, "test-b lost its session")
                let still = try await realB.send(Made.send("test-b:after-spoof-000002", to: ["test-d"]))
                if case .accepted = still {} else { h.fail("test-b's last SEND got \(still.name)") }
            }
        }

        /// The daemon refuses to start when its secret key file is readable by others (mode 0644): a non-zero
        /// exit code and a message that says to chmod 600. With mode 0600 it starts.
        @Test func secretKeyReadableByOthersIsRefused() async throws {
            var options = DaemonOptions()
            options.secretKeyMode = 0o644
            try await withDaemon(options, start: false) { h in
                let (status, output) = try await h.daemon.startExpectingRefusal()
                h.expect(status != 0, "referrald exited \(status) with a secret key file of mode 0644")
                h.expect(output.contains("chmod 600"), "referrald's output does not mention chmod 600:\n\(output)")
                h.expect(
                    !output.contains(h.daemon.serverKeys.secretKey.z85), "referrald printed its secret key")

                try h.require(chmod(h.daemon.secretKeyPath("broker"), 0o600) == 0, "cannot chmod the key file")
                try await h.daemon.start()
                let a = try h.raw("test-a")
                defer { a.close() }
                try await a.hello("test-a")
            }
        }
    }
}
