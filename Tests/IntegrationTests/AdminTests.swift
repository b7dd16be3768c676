import Foundation
import ReferralClient
import ReferralProtocol
import Testing

extension DaemonSuite {
    @Suite("referralctl status and trail")
    struct AdminTests {
        /// `referralctl status --json` shows the nodes connected and their backlogs; `referralctl trail --message
        /// SENDER/ID --json` shows accepted → delivery-attempt → acked → receipt-created → receipt-confirmed.
        @Test func statusAndTrailThroughReferralctl() async throws {
            try await withDaemon { h in
                let a = try h.node("test-a")
                let b = try h.node("test-b")
                let id = "test-a:admin-000001"
                try await a.send(Made.message(id, to: ["test-b"], caseId: Made.caseId(), priority: .urgent))
                let seq = try h.unwrap(try await a.acceptedSeqs([id])[id], "\(id) not accepted")
                let received = try await b.receive(count: 1)
                h.expect(received.map(\.id) == [id], "B received \(received.map(\.id))")
                _ = try await a.waitForReceipts(of: id, count: 1, timeout: .seconds(20))

                // A backlog for the offline test-c.
                let backlog = (1...3).map { String(format: "test-a:for-c-%06d", $0) }
                try await a.send(batch: backlog.map { Made.message($0, to: ["test-c"]) })
                _ = try await a.acceptedSeqs(backlog)

                let admin = h.daemon.admin
                var lastStatus = ""
                try await h.eventually(
                    "referralctl status --json shows A and B connected and C's backlog of 3 (last: \(lastStatus))"
                ) {
                    let run = try await h.referralctl(["status", "--json", "--admin", admin])
                    lastStatus = "exit \(run.status): \(run.stdout) \(run.stderr)"
                    guard run.status == 0,
                        let object = try? JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any],
                        let nodes = object["nodes"] as? [[String: Any]]
                    else { return false }
                    func node(_ id: String) -> [String: Any] { nodes.first { $0["node"] as? String == id } ?? [:] }
                    return node("test-a")["connected"] as? Bool == true
                        && node("test-a")["receipts_pending"] as? Int == 0
                        && node("test-b")["connected"] as? Bool == true
                        && node("test-b")["pending"] as? Int == 0 && node("test-b")["in_flight"] as? Int == 0
                        && node("test-c")["connected"] as? Bool == false && node("test-c")["pending"] as? Int == 3
                        && node("test-a")["agency"] as? String == "education"
                        && node("test-b")["agency"] as? String == "health"
                }

                let wanted = ["accepted", "delivery-attempt", "acked", "receipt-created", "receipt-confirmed"]
                var lastTrail: [String] = []
                try await h.eventually("referralctl trail shows \(wanted) (last: \(lastTrail))") {
                    let run = try await h.referralctl([
                        "trail", "--message", "test-a/\(id)", "--json", "--admin", admin,
                    ])
                    guard run.status == 0,
                        let object = try? JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any],
                        let events = object["events"] as? [[String: Any]]
                    else { return false }
                    lastTrail = events.compactMap { $0["event"] as? String }
                    guard
                        events.allSatisfy({
                            ($0["seq"] as? Int).map(Int64.init) == seq && $0["sender"] as? String == "test-a"
                                && $0["message_id"] as? String == id
                        })
                    else { return false }
                    let acked = events.first { $0["event"] as? String == "acked" }
                    return isSubsequence(wanted, of: lastTrail) && acked?["recipient"] as? String == "test-b"
                }

                // The human-readable forms work too.
                let table = try await h.referralctl(["status", "--admin", admin])
                h.expect(table.status == 0 && table.stdout.contains("test-c"), "referralctl status: \(table)")
                let lines = try await h.referralctl(["trail", "--message", "test-a/\(id)", "--admin", admin])
                h.expect(lines.status == 0 && lines.stdout.contains("acked"), "referralctl trail: \(lines)")
                let unknown = try await h.referralctl([
                    "trail", "--message", "test-a/no-such-message", "--admin", admin,
                ])
                h.expect(unknown.status == 1, "trail of an unknown message exits \(unknown.status)")
            }
        }
    }
}

extension DaemonSuite.AdminTests {
    /// Every member STATUS returns (top level, `broker`, each node) is listed in ADMIN-1's STATUS section, so a
    /// client knows what it reads (issue 8, item 14); clients ignore members they do not know.
    @Test func everyStatusMemberIsDocumented() async throws {
        let text = try String(
            contentsOf: Locations.packageRoot.appendingPathComponent("protocols/ADMIN-1.md"), encoding: .utf8)
        let section = try #require(text.components(separatedBy: "## STATUS").dropFirst().first)
            .components(separatedBy: "\n## ").first ?? ""
        func documented(_ path: String, _ leaf: String) -> Bool {
            ["`\(path)`", "`\(path)[]`", "`\(path).", "`.\(leaf)`"].contains { section.contains($0) }
        }
        try await withDaemon { h in
            let status = try await h.status()
            var missing: [String] = []
            for (key, value) in status {
                if !documented(key, key) { missing.append(key) }
                if key == "broker", let broker = value as? [String: Any] {
                    missing += broker.keys.filter { !documented("broker.\($0)", $0) }.map { "broker.\($0)" }
                }
                if key == "nodes", let nodes = value as? [[String: Any]] {
                    let keys = Set(nodes.flatMap(\.keys))
                    missing += keys.filter { !documented("nodes[].\($0)", $0) }.map { "nodes[].\($0)" }
                }
            }
            h.expect(missing.isEmpty, "STATUS members ADMIN-1 does not list: \(missing.sorted())")
        }
    }
}

/// Whether `wanted` appears in `list` in this order (not necessarily adjacent).
func isSubsequence(_ wanted: [String], of list: [String]) -> Bool {
    var rest = wanted[...]
    for item in list where item == rest.first { rest = rest.dropFirst() }
    return rest.isEmpty
}
