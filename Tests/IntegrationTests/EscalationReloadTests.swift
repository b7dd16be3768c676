import Foundation
import ReferralClient
import ReferralProtocol
import Testing

extension DaemonSuite {
    /// Reloading the escalation policy with the directory (SIGHUP, ADMIN RELOAD): new deadlines follow the new
    /// policy, deadlines already set keep theirs, and a broken policy file is refused as a whole (the directory
    /// edited with it is not taken either). Second-level policies; made-up data only.
    @Suite("escalation policy reload")
    struct EscalationReloadTests {
        /// A one-hour answer deadline to start with (heartbeats slow enough for raw nodes, a city bureau too).
        static func options() -> DaemonOptions { EscalationTests.options(answer: "1h", repeatEvery: "1h") }

        /// Replaces the escalation policy file (atomically, as an operator's editor would).
        func writePolicy(_ h: Harness, _ json: String) throws {
            let path = h.daemon.escalationPolicyPath
            try Data(json.utf8).write(to: URL(fileURLWithPath: path + ".tmp"))
            guard rename(path + ".tmp", path) == 0 else { throw HarnessError("cannot replace \(path)") }
        }

        /// test-a refers `caseId` to test-b, which ACKs the delivery but never answers.
        func refer(_ a: RawNode, _ b: RawNode, _ id: String, caseId: String) async throws {
            let answer = try await a.send(Made.send(id, to: ["test-b"], kind: "referral.request", caseId: caseId))
            guard case .accepted = answer else { throw HarnessError("referral.request answered \(answer.name)") }
            let deliver: Deliver = try await b.expect("DELIVER of \(id)") {
                if case .deliver(let deliver) = $0, deliver.id == id { return deliver }
                return nil
            }
            try await b.send(.ack(Ack(seq: deliver.seq)))
        }

        /// Waits for an escalation notice about `caseId` at `node` and ACKs it (others are kept in its queue).
        func notice(about caseId: String, at node: RawNode, timeout: Duration = .seconds(10)) async throws {
            let deliver: Deliver = try await node.expect("escalation.notice about \(caseId)", timeout: timeout) {
                if case .deliver(let d) = $0, d.kind == "escalation.notice", d.caseId == caseId { return d }
                return nil
            }
            try await node.send(.ack(Ack(seq: deliver.seq)))
        }

        /// The cases named by the escalation notices `node` has received and not yet handed out.
        func noticedCases(_ node: RawNode) -> [String] {
            node.queuedCommands.compactMap { command in
                guard case .deliver(let d) = command, d.kind == "escalation.notice" else { return nil }
                return d.caseId
            }
        }

        /// The due time of a case's only open deadline (`referralctl case --json`).
        func dueAt(_ h: Harness, _ caseId: String) async throws -> Int64 {
            let run = try await h.referralctl(["case", caseId, "--json", "--admin", h.daemon.admin])
            guard run.status == 0,
                let object = try? JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any],
                let deadlines = object["deadlines"] as? [[String: Any]], deadlines.count == 1,
                let due = (deadlines[0]["due_at"] as? NSNumber)?.int64Value
            else { throw HarnessError("referralctl case \(caseId): exit \(run.status): \(run.stdout) \(run.stderr)") }
            return due
        }

        /// Case A is opened under a one-hour answer deadline; the policy is rewritten to two seconds and reloaded;
        /// case B escalates to the school's county bureau (test-e), A does not. A broken policy file, reloaded
        /// together with a directory that adds a node, is refused naming the file and the field: neither is taken
        /// (case C still escalates after two seconds, the node stays unknown). Fixed, both are taken on SIGHUP.
        @Test func reloadedPolicyAppliesToNewDeadlinesOnly() async throws {
            try await withDaemon(Self.options()) { h in
                let (a, b, e) = (try h.raw("test-a"), try h.raw("test-b"), try h.raw("test-e"))
                defer { for node in [a, b, e] { node.close() } }
                for (node, id) in [(a, "test-a"), (b, "test-b"), (e, "test-e")] { try await node.hello(id) }
                let startedAt = Int64(Date().timeIntervalSince1970 * 1000)
                let caseA = Made.caseId()
                try await refer(a, b, "test-a:reload-esc-01", caseId: caseA)

                try writePolicy(h, EscalationTests.policy(answer: "2s", repeatEvery: "1h"))
                let reloaded = try await h.reload()
                try h.require(reloaded.ok, "RELOAD answered \(reloaded.object)")
                h.expect(
                    (reloaded.object["escalation_policy"] as? String).map { !$0.isEmpty && $0 != "default" } == true,
                    "RELOAD names no policy revision: \(reloaded.object)")
                let caseB = Made.caseId()
                try await refer(a, b, "test-a:reload-esc-02", caseId: caseB)
                try await notice(about: caseB, at: e)
                // A's deadline is still an hour away.
                try await e.idle(for: .seconds(3))
                h.expect(!noticedCases(e).contains(caseA), "case A escalated under the new policy")
                h.expect(try await dueAt(h, caseA) >= startedAt + 3_000_000, "case A's deadline moved")

                // A broken policy, with a directory edit beside it: nothing of either is taken.
                var nodes = Self.options().nodes
                nodes.append(TestNode(id: "test-g", agency: "health", kind: "hospital", division: "350102004"))
                try h.daemon.writeDirectory(nodes)
                try writePolicy(h, #"{"version": 1, "levels": {"routine": {"answer": "soon"}}}"#)
                let refused = try await h.reload()
                h.expect(!refused.ok, "RELOAD of a broken policy answered OK")
                h.expect(refused.object["code"] as? String == "BAD_DIRECTORY", "RELOAD answered \(refused.object)")
                let reason = refused.object["reason"] as? String ?? ""
                h.expect(
                    reason.contains(h.daemon.escalationPolicyPath) && reason.contains("escalation_policy_file")
                        && reason.contains("levels.routine"),
                    "the refusal does not name the file and the field: \(reason)")
                let cli = try await h.referralctl(["directory", "reload", "--admin", h.daemon.admin])
                h.expect(
                    cli.status == 1 && cli.stderr.contains("escalation_policy_file"),
                    "referralctl directory reload: exit \(cli.status): \(cli.stdout) \(cli.stderr)")
                let listed = try await h.status()["nodes"] as? [[String: Any]] ?? []
                h.expect(!listed.contains { $0["node"] as? String == "test-g" }, "the refused directory was taken")
                h.expect(h.daemon.stderrTail(lines: 200).contains("reload refused"), "the refusal is not logged")
                let caseC = Made.caseId()
                try await refer(a, b, "test-a:reload-esc-03", caseId: caseC)
                try await notice(about: caseC, at: e)

                // Fixed, the files are taken on SIGHUP: the directory's new node and the one-hour policy.
                try writePolicy(h, EscalationTests.policy(answer: "1h", repeatEvery: "1h"))
                try h.daemon.hangUp()
                try await h.eventually("STATUS lists test-g after SIGHUP") {
                    let nodes = try await h.status()["nodes"] as? [[String: Any]] ?? []
                    return nodes.contains { $0["node"] as? String == "test-g" }
                }
                let caseD = Made.caseId()
                let openedD = Int64(Date().timeIntervalSince1970 * 1000)
                try await refer(a, b, "test-a:reload-esc-04", caseId: caseD)
                h.expect(try await dueAt(h, caseD) >= openedD + 3_000_000, "case D did not get the one-hour policy")
                h.expect(!noticedCases(e).contains(caseA), "case A escalated")
            }
        }
    }
}
