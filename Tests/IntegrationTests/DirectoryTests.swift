import Foundation
import ReferralClient
import ReferralProtocol
import Testing
import ZeroMQ

extension DaemonSuite {
    @Suite("Directory, routing by jurisdiction and authorization")
    struct DirectoryTests {
        /// A role address is resolved to the nearest matching active node(s) in the division or its ancestors:
        /// `role:health/child-psychology-clinic@350102001` from test-a (a township school) climbs to county 350102
        /// and reaches test-b; `role:health/*@350102001` fans out to test-b and test-d. The recipients receive
        /// the messages with their resolved `to`, and the resolution is recorded: a "routed" trail event naming
        /// the node, and the "accepted" audit record.
        @Test func roleAddressResolvesToNearestAncestorAndIsRecorded() async throws {
            try await withDaemon { h in
                let a = try h.node("test-a")
                let b = try h.node("test-b")
                let d = try h.node("test-d")
                let clinic = "role:health/child-psychology-clinic@350102001"
                let anyHealth = "role:health/*@350102001"
                let first = "test-a:role-000001"
                let second = "test-a:role-000002"
                try await a.send(Made.message(first, to: [clinic], caseId: Made.caseId()))
                try await a.send(Made.message(second, to: [anyHealth]))
                let seqs = try await a.acceptedSeqs([first, second])
                try h.require(seqs.count == 2, "accepted \(seqs.count) of 2: \(seqs)")

                let atB = try await b.receive(count: 2)
                h.expect(Set(atB.map(\.id)) == [first, second], "test-b received \(atB.map(\.id))")
                if let message = atB.first(where: { $0.id == first }) {
                    h.expect(message.to == ["test-b"], "the clinic message's to: \(message.to)")
                    h.expect(message.from == "test-a" && message.seq == seqs[first], "from \(message.from)")
                    h.expect(message.body == Made.body(first), "the body changed on the way")
                }
                if let message = atB.first(where: { $0.id == second }) {
                    h.expect(message.to == ["test-b", "test-d"], "the fan-out message's to: \(message.to)")
                }
                let atD = try await d.receive(count: 1)
                h.expect(atD.map(\.id) == [second], "test-d received \(atD.map(\.id))")
                h.expect(try await d.nextMessage(timeout: .zero) == nil, "test-d received the clinic message")

                let trail = try await h.trail(sender: "test-a", id: first)
                let routed = trail.first { $0["event"] as? String == "routed" }
                let detail = routed?["detail"] as? String ?? ""
                h.expect(
                    detail.contains(clinic) && detail.contains("test-b") && detail.contains("350102"),
                    "the trail's routed event: \(routed.map { "\($0)" } ?? "none") (trail \(trail))")
                let fanOut = try await h.trail(sender: "test-a", id: second).first {
                    $0["event"] as? String == "routed"
                }
                let fanDetail = fanOut?["detail"] as? String ?? ""
                h.expect(
                    fanDetail.contains("test-b") && fanDetail.contains("test-d"), "fan-out routed: \(fanDetail)")

                let records = try await h.auditRecords()
                let accepted = records.first {
                    $0["event"] as? String == "accepted" && $0["message_id"] as? String == first
                }
                h.expect(
                    accepted?["recipient"] as? String == "test-b"
                        && (accepted?["detail"] as? String ?? "").contains("test-b"),
                    "the accepted audit record: \(accepted.map { "\($0)" } ?? "none")")

                // 1/RBP §7.3.1: the psychiatric clinic of the county is found at the city, test-f.
                let raw = try h.raw("test-c")
                defer { raw.close() }
                try await raw.hello("test-c")
                let answer = try await raw.send(
                    Made.send("test-c:role-000001", to: ["role:health/psychiatric-clinic@350102"]))
                if case .accepted = answer {
                } else {
                    h.fail("the SEND to the city's psychiatric clinic got \(answer.name)")
                }
                let cityTrail = try await h.trail(sender: "test-c", id: "test-c:role-000001")
                h.expect(
                    cityTrail.contains {
                        $0["event"] as? String == "routed" && ($0["detail"] as? String ?? "").contains("test-f")
                    }, "the routed event does not name test-f: \(cityTrail)")
            }
        }

        /// A role address that resolves to nobody makes the whole SEND REJECTED with a clear code and the
        /// address (never a silent drop), and nothing is stored, not even for its resolvable addresses.
        @Test func unresolvableAddressIsRejected() async throws {
            try await withDaemon { h in
                let raw = try h.raw("test-a")
                defer { raw.close() }
                try await raw.hello("test-a")
                let nobody = "role:womens-federation/family-education-station@350102"
                let id = "test-a:unresolvable-000001"
                let answer = try await raw.send(Made.send(id, to: ["test-b", nobody]))
                guard case .rejected(let rejected) = answer else {
                    return h.fail("a SEND to \(nobody) was answered \(answer.name)")
                }
                h.expect(rejected.code == .noMatchingNode, "code \(rejected.code), expected NO_MATCHING_NODE")
                h.expect(!rejected.retry && rejected.recipient == nobody, "REJECTED \(rejected)")

                let unknownDivision = "role:health/hospital@350199"
                let other = try await raw.send(Made.send("test-a:unresolvable-000002", to: [unknownDivision]))
                guard case .rejected(let second) = other else { return h.fail("\(unknownDivision): \(other.name)") }
                h.expect(
                    second.code == .unknownDivision && second.recipient == unknownDivision,
                    "\(unknownDivision): \(second.code) \(second.recipient ?? "-")")

                h.expect(try await h.trail(sender: "test-a", id: id).isEmpty, "the rejected message has a trail")
                let status = try await h.nodeStatus("test-b")
                h.expect(
                    status["pending"] as? Int == 0 && status["in_flight"] as? Int == 0,
                    "something was stored for test-b: \(status)")
                let records = try await h.auditRecords()
                h.expect(
                    records.contains {
                        $0["event"] as? String == "rejected" && $0["code"] as? String == "NO_MATCHING_NODE"
                            && $0["recipient"] as? String == nobody && $0["message_id"] as? String == id
                    }, "no audited NO_MATCHING_NODE rejection")
                h.expect(
                    !records.contains { $0["event"] as? String == "accepted" && $0["message_id"] as? String == id },
                    "the rejected message has an accepted audit record")

                // Through the client library as well: the outbox entry fails with the code.
                let a2 = try h.node("test-e")
                let viaClient = "test-e:unresolvable-000001"
                try await a2.send(Made.message(viaClient, to: [nobody]))
                let outcome = try await a2.outcome(of: viaClient, timeout: .seconds(20))
                guard case .rejected(let code, _, _) = outcome, code == "NO_MATCHING_NODE" else {
                    return h.fail("the client's outcome for \(nobody): \(outcome)")
                }
            }
        }

        /// The default authorization policy: an education school may not send `escalation.notice` (nobody may)
        /// nor `discharge.notice` (health only): REJECTED FORBIDDEN, audited, nothing stored or routed. A health
        /// node's discharge notice goes through.
        @Test func forbiddenKindIsRejectedAndNothingStored() async throws {
            try await withDaemon { h in
                let a = try h.raw("test-a")
                defer { a.close() }
                try await a.hello("test-a")
                let forbidden = [
                    ("test-a:forbidden-000001", "escalation.notice"), ("test-a:forbidden-000002", "discharge.notice"),
                ]
                for (id, kind) in forbidden {
                    let answer = try await a.send(Made.send(id, to: ["test-b"], kind: kind))
                    guard case .rejected(let rejected) = answer else {
                        h.fail("\(kind) from test-a was answered \(answer.name)")
                        continue
                    }
                    h.expect(rejected.code == .forbidden && !rejected.retry, "\(kind): \(rejected.code)")
                    h.expect(
                        !rejected.reason.contains("synthetic"), "the reason quotes the body: \(rejected.reason)")
                }

                // The same kind from a health node is allowed (and reaches test-a).
                let d = try h.raw("test-d")
                defer { d.close() }
                try await d.hello("test-d")
                let allowed = try await d.send(
                    Made.send("test-d:discharge-000001", to: ["test-a"], kind: "discharge.notice"))
                if case .accepted = allowed {} else { h.fail("discharge.notice from test-d got \(allowed.name)") }
                let deliver: Deliver = try await a.expect("DELIVER of the discharge notice") { command in
                    if case .deliver(let deliver) = command { return deliver }
                    return nil
                }
                h.expect(
                    deliver.kind == "discharge.notice" && deliver.from == "test-d", "test-a received \(deliver.kind)")
                try await a.send(.ack(Ack(seq: deliver.seq)))

                // Nothing of the forbidden ones was stored or routed.
                let b = try await h.nodeStatus("test-b")
                h.expect(b["pending"] as? Int == 0 && b["in_flight"] as? Int == 0, "test-b has deliveries: \(b)")
                for (id, _) in forbidden {
                    h.expect(try await h.trail(sender: "test-a", id: id).isEmpty, "\(id) has a trail")
                }
                var seen = ""
                try await h.eventually("both refusals audited as FORBIDDEN (seen \(seen))") {
                    let records = try await h.auditRecords()
                    let refusals = records.filter {
                        $0["event"] as? String == "rejected" && $0["code"] as? String == "FORBIDDEN"
                    }
                    seen = "\(refusals)"
                    return Set(refusals.compactMap { $0["kind"] as? String }) == [
                        "escalation.notice", "discharge.notice",
                    ]
                        && refusals.allSatisfy { $0["node"] as? String == "test-a" }
                        && !records.contains {
                            $0["event"] as? String == "accepted"
                                && ($0["message_id"] as? String ?? "").hasPrefix("test-a:forbidden")
                        }
                }
            }
        }

        /// A directory file that does not load never replaces the good one: RELOAD answers ERROR BAD_DIRECTORY
        /// naming the entry and the field, `referralctl directory reload` exits 1, round trips go on, and the node
        /// the broken file added is still unknown (its key is refused, it is no recipient). Fixed, the file is
        /// taken on SIGHUP and the new node gets in.
        @Test func brokenDirectoryReloadKeepsTheOldOne() async throws {
            try await withDaemon { h in
                let a = try h.node("test-a")
                let b = try h.node("test-b")
                try await a.send(Made.message("test-a:reload-000001", to: ["test-b"]))
                let before = try await b.receive(count: 1)
                try h.require(before.count == 1, "no round trip before the reload")

                var broken = TestNode.standard
                broken.append(TestNode(id: "test-g", agency: "health", kind: "hospital", division: "350199"))
                try h.daemon.writeDirectory(broken)
                let reply = try await h.reload()
                h.expect(!reply.ok, "RELOAD of a broken directory answered OK")
                let reason = reply.object["reason"] as? String ?? ""
                h.expect(reply.object["code"] as? String == "BAD_DIRECTORY", "RELOAD answered \(reply.object)")
                h.expect(
                    reason.contains("division") && reason.contains("test-g"),
                    "the refusal does not name the entry and the field: \(reason)")
                let cli = try await h.referralctl(["directory", "reload", "--admin", h.daemon.admin])
                h.expect(
                    cli.status == 1, "referralctl directory reload exited \(cli.status): \(cli.stdout) \(cli.stderr)")

                try await a.send(Made.message("test-a:reload-000002", to: ["test-b"]))
                let after = try await b.receive(count: 1)
                h.expect(after.map(\.id) == ["test-a:reload-000002"], "no round trip after the refused reload")

                let g = try h.raw("test-g")
                let answer = try await g.tryHello("test-g", timeout: silence)
                g.close()
                h.expect(answer == nil, "test-g of the broken file got \(answer?.name ?? "") to its HELLO")
                let raw = try h.raw("test-c")
                defer { raw.close() }
                try await raw.hello("test-c")
                let toG = try await raw.send(Made.send("test-c:to-g-000001", to: ["test-g"]))
                guard case .rejected(let rejected) = toG, rejected.code == .unknownRecipient else {
                    return h.fail("a SEND to test-g after the refused reload got \(toG.name)")
                }
                let nodes = try await h.status()["nodes"] as? [[String: Any]] ?? []
                h.expect(!nodes.contains { $0["node"] as? String == "test-g" }, "STATUS lists test-g")
                let records = try await h.auditRecords()
                h.expect(
                    records.contains {
                        $0["event"] as? String == "directory-reloaded" && $0["code"] as? String == "BAD_DIRECTORY"
                    }, "the refused reload is not audited")

                // Fixed (a real county code), the file is taken on SIGHUP.
                var fixed = TestNode.standard
                fixed.append(TestNode(id: "test-g", agency: "health", kind: "hospital", division: "350102004"))
                try h.daemon.writeDirectory(fixed)
                try h.daemon.hangUp()
                try await h.eventually("STATUS lists test-g after SIGHUP") {
                    let nodes = try await h.status()["nodes"] as? [[String: Any]] ?? []
                    return nodes.contains { $0["node"] as? String == "test-g" }
                }
                let welcomed = try h.raw("test-g")
                defer { welcomed.close() }
                try await welcomed.hello("test-g")
            }
        }

        /// Suspending a node in the directory and reloading cuts its live session at once: ERROR NODE_SUSPENDED
        /// (fatal, without `command`), then everything from its key is ignored and its next handshake refused;
        /// it is no recipient any more; healthy sessions go on. Reinstated (SIGHUP), it gets in again.
        @Test func suspendedNodeIsCutOffMidSession() async throws {
            try await withDaemon { h in
                let c = try h.raw("test-c")
                defer { c.close() }
                try await c.hello("test-c")
                let d = try h.raw("test-d")
                defer { d.close() }
                try await d.hello("test-d")

                var nodes = TestNode.standard
                nodes[nodes.firstIndex { $0.id == "test-c" }!].state = "suspended"
                try h.daemon.writeDirectory(nodes)
                let reply = try await h.reload()
                h.expect(reply.ok, "RELOAD answered ERROR: \(reply.object)")
                h.expect(reply.object["suspended"] as? [String] == ["test-c"], "RELOAD answered \(reply.object)")

                let cut: ErrorReply = try await c.expect("ERROR NODE_SUSPENDED") { command in
                    if case .error(let error) = command { return error }
                    return nil
                }
                h.expect(cut.code == .nodeSuspended && cut.fatal && cut.command == nil, "ERROR \(cut)")

                // The healthy session goes on; the suspended node is no recipient.
                let toC = try await d.send(Made.send("test-d:to-c-000001", to: ["test-c"]))
                guard case .rejected(let rejected) = toC, rejected.code == .recipientSuspended else {
                    return h.fail("a SEND to the suspended test-c got \(toC.name)")
                }
                let toA = try await d.send(Made.send("test-d:to-a-000001", to: ["test-a"]))
                if case .accepted = toA {} else { h.fail("test-d's SEND after the suspension got \(toA.name)") }

                // From now on the key is ignored: no answer to anything.
                try await c.send(.ping)
                try await c.send(.send(Made.send("test-c:suspended-000001", to: ["test-d"])))
                try await c.send(.hello(Hello(node: "test-c", window: 64, agent: "integration-test/1")))
                let ignored = try await c.anything(within: silence)
                h.expect(ignored == nil, "the suspended node's connection got an answer")
                h.expect(
                    try await h.trail(sender: "test-c", id: "test-c:suspended-000001").isEmpty,
                    "the suspended node's SEND was stored")

                // A new handshake is refused (and audited).
                let fresh = try h.raw("test-c")
                let answer = try await fresh.tryHello("test-c", timeout: silence)
                fresh.close()
                h.expect(answer == nil, "a new connection of the suspended node got \(answer?.name ?? "")")
                try await h.eventually("an auth-failed record for test-c") {
                    try await h.auditRecords().contains {
                        $0["event"] as? String == "auth-failed" && $0["node"] as? String == "test-c"
                    }
                }

                let status = try await h.nodeStatus("test-c")
                h.expect(
                    status["connected"] as? Bool == false && status["state"] as? String == "suspended",
                    "STATUS of test-c: \(status)")

                // Reinstated through SIGHUP.
                try h.daemon.writeDirectory(TestNode.standard)
                try h.daemon.hangUp()
                try await h.eventually("STATUS shows test-c active again") {
                    try await h.nodeStatus("test-c")["state"] as? String == "active"
                }
                let back = try h.raw("test-c")
                defer { back.close() }
                try await back.hello("test-c")
            }
        }
    }
}
