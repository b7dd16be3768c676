import Foundation
import ReferralClient
import ReferralProtocol
import Testing
import ZeroMQ

extension DaemonSuite {
    /// The operators' node actions from `referralctl node` (ADMIN-1 NODE-*), against the real daemon and real nodes:
    /// suspend and resume, a suspension across a restart, moving a stopped node's backlog to its replacement, a key
    /// rotation with a grace period; each audited with the operator's name.
    @Suite("Node administration")
    struct NodeAdminTests {
        /// Runs `referralctl node ...` against the daemon; returns its status and output.
        static func node(_ h: Harness, _ arguments: [String]) async throws -> (
            status: Int32, stdout: String, stderr: String
        ) {
            try await h.referralctl(["node"] + arguments + ["--admin", h.daemon.admin])
        }

        /// Suspending a connected node cuts its session at once (ERROR NODE_SUSPENDED, fatal) and refuses its
        /// handshakes; what was in flight to it waits. Without a terminal and without --yes nothing happens (exit 9).
        /// Resumed, it connects and receives its backlog. Both actions are audited with the operator's name.
        @Test func suspendCutsANodeAndResumeLetsItReceiveItsBacklog() async throws {
            try await withDaemon { h in
                let b = try h.raw("test-b")
                defer { b.close() }
                try await b.hello("test-b")
                let a = try h.node("test-a")
                let ids = ["test-a:suspend-000001", "test-a:suspend-000002"]
                for id in ids { try await a.send(Made.message(id, to: ["test-b"])) }
                try h.require(try await a.acceptedSeqs(ids).count == 2, "not accepted")
                // test-b has them in flight and does not answer.
                _ = try await b.expect("a DELIVER") { if case .deliver(let d) = $0 { d } else { nil } }

                let unconfirmed = try await Self.node(
                    h, ["suspend", "test-b", "--reason", "system replaced", "--operator", "wang.li"])
                h.expect(unconfirmed.status == 9, "suspend without a terminal or --yes exited \(unconfirmed.status)")
                h.expect(try await h.nodeStatus("test-b")["state"] as? String == "active", "suspended unconfirmed")

                let suspended = try await Self.node(
                    h, ["suspend", "test-b", "--reason", "system replaced", "--yes", "--operator", "wang.li"])
                h.expect(suspended.status == 0, "suspend exited \(suspended.status): \(suspended.stderr)")
                h.expect(suspended.stdout.contains("suspended by wang.li"), "suspend printed \(suspended.stdout)")
                let cut: ErrorReply = try await b.expect("ERROR NODE_SUSPENDED") { command in
                    if case .error(let error) = command { return error }
                    return nil
                }
                h.expect(cut.code == .nodeSuspended && cut.fatal, "ERROR \(cut)")
                let refused = try h.raw("test-b")
                let answer = try await refused.tryHello("test-b", timeout: silence)
                refused.close()
                h.expect(answer == nil, "a new connection of the suspended node got \(answer?.name ?? "")")
                let status = try await h.nodeStatus("test-b")
                h.expect(
                    status["state"] as? String == "suspended" && status["suspended_by"] as? String == "wang.li"
                        && status["suspended_reason"] as? String == "system replaced" && status["pending"] as? Int == 2,
                    "STATUS of test-b: \(status)")

                let resumed = try await Self.node(h, ["resume", "test-b", "--operator", "li.na"])
                h.expect(resumed.status == 0, "resume exited \(resumed.status): \(resumed.stderr)")
                let back = try h.node("test-b")
                let received = try await back.receive(count: 2)
                h.expect(Set(received.map(\.id)) == Set(ids), "test-b received \(received.map(\.id))")

                let records = try await h.auditRecords()
                h.expect(
                    records.contains {
                        $0["event"] as? String == "node-suspended" && $0["node"] as? String == "test-b"
                            && ($0["detail"] as? String ?? "").contains("operator=wang.li")
                    }, "no node-suspended record naming wang.li")
                h.expect(
                    records.contains {
                        $0["event"] as? String == "node-resumed"
                            && ($0["detail"] as? String ?? "").contains("operator=li.na")
                    }, "no node-resumed record naming li.na")
            }
        }

        /// On a terminal, suspend asks first: an answer other than yes does nothing (exit 9), yes suspends. The
        /// terminal is a real pseudo-terminal (util-linux `script`), the answer typed into it.
        @Test func onATerminalSuspendAsksFirst() async throws {
            try await withDaemon { h in
                guard let script = Tool.find("script") else {
                    throw HarnessError("script (util-linux) is not installed")
                }
                let referralctl = try Locations.executable("referralctl", variable: "REFERRALCTL_BIN")
                let command = [
                    referralctl, "node", "suspend", "test-b", "--reason", "replaced", "--operator", "wang.li",
                    "--admin", h.daemon.admin,
                ].map { "'\($0)'" }.joined(separator: " ")
                let declined = try await Tool.run(
                    "/bin/sh", ["-c", "printf 'n\\n' | \(script) -qec \"\(command)\" /dev/null"])
                h.expect(declined.status == 9, "answered n: exit \(declined.status): \(declined.output)")
                h.expect(declined.output.contains("suspend node test-b? [y/N]"), "no question: \(declined.output)")
                h.expect(try await h.nodeStatus("test-b")["state"] as? String == "active", "suspended though declined")
                let confirmed = try await Tool.run(
                    "/bin/sh", ["-c", "printf 'y\\n' | \(script) -qec \"\(command)\" /dev/null"])
                h.expect(confirmed.status == 0, "answered y: exit \(confirmed.status): \(confirmed.output)")
                h.expect(try await h.nodeStatus("test-b")["state"] as? String == "suspended", "not suspended")
            }
        }

        /// An operator's suspension and key rotation are kept in the store: after a restart, and after a reload of
        /// a file that says the node is active with its old key, they still hold.
        @Test func aSuspensionAndAKeyRotationSurviveARestartAndAReload() async throws {
            try await withDaemon { h in
                let reply = try await h.admin(
                    "NODE-SUSPEND", arguments: #"{"node":"test-c","reason":"audit","operator":"wang.li"}"#)
                h.expect(reply.ok, "NODE-SUSPEND answered \(reply.object)")
                let fresh = try Curve.generateKeyPair()
                let rotate = try await h.admin(
                    "NODE-ROTATE-KEY",
                    arguments:
                        #"{"node":"test-a","public_key":"\#(fresh.publicKey.z85)","grace_ms":0,"operator":"wang.li"}"#)
                h.expect(rotate.ok, "NODE-ROTATE-KEY answered \(rotate.object)")
                _ = try await h.daemon.terminate()
                try await h.daemon.start()
                let oldKey = try h.raw("test-a")
                let refusedOld = try await oldKey.tryHello("test-a", timeout: silence)
                oldKey.close()
                h.expect(refusedOld == nil, "test-a's replaced key got \(refusedOld?.name ?? "") after the restart")
                let newKey = try RawNode(
                    endpoint: h.daemon.endpoint,
                    curve: RawNode.Curve(
                        publicKey: fresh.publicKey, secretKey: fresh.secretKey, serverKey: h.daemon.serverKeys.publicKey
                    ))
                defer { newKey.close() }
                try await newKey.hello("test-a")
                let refused = try h.raw("test-c")
                let answer = try await refused.tryHello("test-c", timeout: silence)
                refused.close()
                h.expect(answer == nil, "test-c got \(answer?.name ?? "") after the restart")
                h.expect(try await h.reload().ok, "RELOAD failed")
                let status = try await h.nodeStatus("test-c")
                h.expect(
                    status["state"] as? String == "suspended" && status["suspended_by"] as? String == "wang.li",
                    "STATUS of test-c after restart and reload: \(status)")
            }
        }

        /// A school's system replaced: test-b's waiting messages (two cases, interleaved) go to test-b2 in one
        /// move; test-b2 receives each once, each case in order; the trail and the audit say so.
        @Test func aStoppedNodesBacklogGoesToItsReplacementInCaseOrderOnce() async throws {
            var options = DaemonOptions()
            // A memory of 4 deliveries per node: the replacement reads the moved backlog back a page at a time.
            options.deliveryMemory = 4
            options.nodes.append(
                TestNode(id: "test-b2", agency: "health", kind: "child-psychology-clinic", division: "350102"))
            try await withDaemon(options) { h in
                let a = try h.node("test-a")
                let cases = [Made.caseId(), Made.caseId()]
                var ids: [String] = []
                for n in 0..<6 {
                    let id = "test-a:move-00000\(n)"
                    ids.append(id)
                    try await a.send(Made.message(id, to: ["test-b"], caseId: cases[n % 2]))
                }
                let seqs = try await a.acceptedSeqs(ids)
                try h.require(seqs.count == ids.count, "accepted \(seqs.count) of \(ids.count)")

                let early = try await Self.node(
                    h, ["move-backlog", "test-b", "--to", "test-b2", "--yes", "--operator", "o"])
                h.expect(early.status == 1 && early.stderr.contains("MOVE_REFUSED"), "move of an active node: \(early)")
                _ = try await Self.node(h, ["suspend", "test-b", "--reason", "replaced", "--yes", "--operator", "o"])
                let moved = try await Self.node(
                    h, ["move-backlog", "test-b", "--to", "test-b2", "--yes", "--operator", "wang.li"])
                h.expect(moved.status == 0, "move-backlog exited \(moved.status): \(moved.stderr)")
                h.expect(moved.stdout.contains("moved 6 deliveries"), "move-backlog printed \(moved.stdout)")
                let shown = try await Self.node(h, ["show", "test-b2", "--json"])
                let backlog =
                    (try? JSONSerialization.jsonObject(with: Data(shown.stdout.utf8))) as? [String: Any] ?? [:]
                h.expect(
                    backlog["pending"] as? Int == 6 && (backlog["deliveries"] as? [Any])?.count == 6,
                    "node show test-b2: \(shown.stdout)")
                h.expect(try await h.nodeStatus("test-b")["pending"] as? Int == 0, "test-b still has a backlog")

                let b2 = try h.node("test-b2")
                let received = try await b2.receive(count: ids.count)
                h.expect(received.count == ids.count, "test-b2 received \(received.map(\.id))")
                for caseId in cases {
                    let order = received.filter { $0.caseId == caseId }.map(\.seq)
                    h.expect(order == order.sorted() && order.count == 3, "case \(caseId) came as \(order)")
                }
                h.expect(try await b2.nextMessage(timeout: silence) == nil, "test-b2 received a message twice")
                let trail = try await h.trail(sender: "test-a", id: ids[0])
                h.expect(
                    trail.contains { $0["event"] as? String == "moved" && $0["recipient"] as? String == "test-b2" },
                    "no moved event in \(trail)")
                let records = try await h.auditRecords()
                h.expect(
                    records.contains {
                        $0["event"] as? String == "backlog-moved" && $0["recipient"] as? String == "test-b2"
                            && ($0["detail"] as? String ?? "") == "operator=wang.li moved=6"
                    }, "no backlog-moved record naming wang.li")
                try await h.eventually("test-a's receipts name test-b2") {
                    try await h.nodeStatus("test-b2")["pending"] as? Int == 0
                }
            }
        }

        /// After a rotation the old key keeps working during the grace period (its open session is served), then
        /// its session is cut and it is refused; the new key works. Audited with the operator's name. (That the new
        /// key is let in during the grace too is shown by BrokerMachineTests/NodeOverrideTests: a HELLO with it
        /// here would take the old key's session over.)
        @Test func aRotatedKeyWorksDuringItsGraceAndNotAfter() async throws {
            try await withDaemon { h in
                let old = try h.raw("test-a")
                defer { old.close() }
                try await old.hello("test-a")
                let fresh = try Curve.generateKeyPair()
                let rotated = try await Self.node(
                    h,
                    [
                        "rotate-key", "test-a", "--public-key", fresh.publicKey.z85, "--grace", "3s", "--operator",
                        "wang.li",
                    ])
                h.expect(rotated.status == 0, "rotate-key exited \(rotated.status): \(rotated.stderr)")
                // The old key's session is still served during the grace (a PING answered; on a slow machine the
                // grace may already be over, and the cut comes first), then cut once it ends.
                try await old.send(.ping)
                let first = try await old.expect("PONG or the cut", timeout: .seconds(20)) { command -> Command? in
                    switch command {
                    case .pong, .error: command
                    default: nil
                    }
                }
                var cut: ErrorReply?
                if case .error(let error) = first { cut = error }
                if cut == nil {
                    cut = try await old.expect("ERROR NODE_SUSPENDED", timeout: .seconds(20)) { command in
                        if case .error(let error) = command { return error }
                        return nil
                    }
                }
                h.expect(cut?.code == .nodeSuspended && cut?.fatal == true, "ERROR \(String(describing: cut))")
                let again = try h.raw("test-a")
                let answer = try await again.tryHello("test-a", timeout: silence)
                again.close()
                h.expect(answer == nil, "the old key got \(answer?.name ?? "") after its grace")
                // The new key works after the grace.
                let later = try RawNode(
                    endpoint: h.daemon.endpoint,
                    curve: RawNode.Curve(
                        publicKey: fresh.publicKey, secretKey: fresh.secretKey, serverKey: h.daemon.serverKeys.publicKey
                    ))
                defer { later.close() }
                try await later.hello("test-a")
                let records = try await h.auditRecords()
                h.expect(
                    records.contains {
                        $0["event"] as? String == "node-key-rotated" && $0["node"] as? String == "test-a"
                            && ($0["detail"] as? String ?? "").contains("operator=wang.li")
                    }, "no node-key-rotated record naming wang.li")
            }
        }
    }
}
