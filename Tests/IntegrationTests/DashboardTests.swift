import Foundation
import ReferralProtocol
import Testing

extension DaemonSuite {
    /// The read-only dashboard (issue 10) in a real headless browser (Debian's chromium) against a real daemon
    /// with an overdue crisis case: every page loads, the case shows in its county (鼓楼区, 350102: the clinic's
    /// county) in the chart and the table, in the overdue list and on its own page, and no page logs anything to the
    /// console. Made-up data only.
    @Suite("dashboard")
    struct DashboardTests {
        static func options() -> DaemonOptions {
            var options = DaemonOptions()
            options.heartbeatMs = 10_000
            options.http = ["listen": "127.0.0.1:0"]
            // The clinic's acknowledgment is due a second after the alert: overdue, then escalated, at once.
            options.escalationPolicy = """
                {"version": 1, "levels": {
                 "crisis": {"delivery": "off", "answer": "1s", "repeat": "1h", "max_steps": 1, "clock": "continuous",
                            "fan_out": true}}}
                """
            return options
        }

        @Test func pagesShowTheOverdueCrisisCaseInItsCountyWithoutConsoleErrors() async throws {
            try await withDaemon(Self.options()) { h in
                let browser = try Browser(directory: h.directory)
                let (a, b) = (try h.raw("test-a"), try h.raw("test-b"))
                defer { for node in [a, b] { node.close() } }
                try await a.hello("test-a")
                try await b.hello("test-b")
                let caseId = Made.caseId()
                let alert = try await a.send(
                    Made.send(
                        "test-a:dash-000001", to: ["test-b"], kind: "crisis.alert", caseId: caseId, priority: .crisis))
                guard case .accepted = alert else { return h.fail("crisis.alert answered \(alert.name)") }
                // test-b never acknowledges: its acknowledgment deadline passes, is overdue and escalates.
                try await h.eventually("the crisis case is overdue and escalated", timeout: .seconds(20)) {
                    let run = try await h.referralctl(["overdue", "--escalated", "--json", "--admin", h.daemon.admin])
                    return run.status == 0 && run.stdout.contains(caseId) && run.stdout.contains("escalated_at")
                }
                let http = try h.unwrap(h.daemon.httpAddress, "no HTTP address in the ready file")
                let base = "http://\(http)"

                let overview = try await browser.load(base + "/")
                h.expect(
                    overview.dom.contains("<h1>Overview</h1>"),
                    "/ did not lead to the overview: \(overview.dom.prefix(500))")
                h.expect(overview.dom.contains(caseId), "the overview does not list the case")
                let chartRow =
                    overview.dom.range(of: "data-county=\"350102\"").map {
                        String(overview.dom[$0.upperBound...].prefix(600))
                    } ?? ""
                h.expect(chartRow.contains("鼓楼区 (350102): 1 crisis overdue"), "chart row of 350102: \(chartRow)")
                h.expect(
                    overview.dom.contains("350102</a></td><td>鼓楼区</td>"), "no county table row for 鼓楼区 (350102)")
                h.expect(overview.dom.contains("test-b"), "the nodes table does not list test-b")
                let escalations =
                    overview.dom.range(of: "id=\"escalations\"").map {
                        String(overview.dom[$0.upperBound...]).components(separatedBy: "<h2>Nodes").first ?? ""
                    } ?? ""
                h.expect(escalations.contains(caseId), "recent escalations do not list the case: \(escalations)")

                let county = try await browser.load(base + "/dashboard/overdue?county=350102&risk=crisis")
                h.expect(
                    county.dom.contains(caseId) && county.dom.contains("acknowledgment from test-b"),
                    "\(county.dom.suffix(1500))")
                let casePage = try await browser.load(base + "/dashboard/case/\(caseId)")
                h.expect(
                    casePage.dom.contains("OVERDUE") && casePage.dom.contains("kind=crisis.alert"),
                    "\(casePage.dom.suffix(1500))")
                // test-b refuses another message for good: a dead letter, listed on the repair page without its
                // reason (a node's free text).
                let refusedId = "test-a:dash-000002"
                guard case .accepted = try await a.send(Made.send(refusedId, to: ["test-b"])) else {
                    return h.fail("\(refusedId) was not accepted")
                }
                let refused: Deliver = try await b.expect("DELIVER of \(refusedId)", timeout: .seconds(20)) {
                    if case .deliver(let deliver) = $0, deliver.id == refusedId { return deliver }
                    return nil
                }
                try await b.send(
                    .nack(Nack(seq: refused.seq, retry: false, reason: "made-up: Li Ming not on our roll")))
                try await h.eventually("\(refusedId) is a dead letter", timeout: .seconds(20)) {
                    let run = try await h.referralctl(["dead-letters", "list", "--json", "--admin", h.daemon.admin])
                    return run.status == 0 && run.stdout.contains(refusedId)
                }
                let repair = try await browser.load(base + "/dashboard/repair")
                h.expect(repair.dom.contains("Held cases"), "\(repair.dom.suffix(800))")
                h.expect(
                    repair.dom.contains(
                        "<td class=\"n\">\(refused.seq)</td><td>\(refusedId)</td><td>\(Made.kind)</td>"),
                    "the repair page does not list the dead letter: \(repair.dom.suffix(1500))")
                h.expect(!repair.dom.contains("Li Ming"), "the repair page shows a dead letter's reason")

                for (name, page) in [
                    ("overview", overview), ("county", county), ("case", casePage), ("repair", repair),
                ] {
                    h.expect(page.console.isEmpty, "\(name) page logged to the console: \(page.console)")
                }
            }
        }

        /// The way the test reads the console does catch errors: a page that calls `console.error` and throws.
        @Test func browserConsoleCheckCatchesErrors() async throws {
            let directory = "/tmp/rbit-browser-\(UUID().uuidString.prefix(8).lowercased())"
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let page = try await Browser(directory: directory).load(
                "data:text/html,<p>made-up</p><script>console.error('deliberate-error');undefinedFunction();</script>")
            #expect(page.dom.contains("made-up"))
            #expect(page.console.contains { $0.contains("deliberate-error") }, "\(page.console)")
            #expect(page.console.contains { $0.contains("Uncaught ReferenceError") }, "\(page.console)")
        }
    }
}
