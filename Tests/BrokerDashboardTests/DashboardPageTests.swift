import AgencyDirectory
import BrokerDashboard
import ReferralProtocol
import Testing

/// The pages rendered from made-up ADMIN-1 results: a crisis case overdue in 鼓楼区 (350102) shows in its county's
/// chart row and table row and among the most overdue; strings are escaped; no free text of a node is shown.
@Suite struct DashboardPageTests {
    static let crisisItem = AdminOverdueItem(
        id: 12, caseId: crisisCase, item: "answer:test-b:crisis.acknowledged", dueAt: testNow - 1_800_000, level: 1,
        region: "350102001", agency: "civil-affairs", risk: "crisis", escalatedAt: testNow - 1_800_000)

    static func seeded() -> FakeSource {
        let node = AdminStatus.Node(
            node: "test-b", agency: "civil-affairs", kind: "civil-affairs-office", division: "350102001",
            state: "active", name: "Test office B", connected: true, pending: 3, inFlight: 2, deadLetters: 1,
            receiptsPending: 0)
        let status = AdminStatus(
            broker: FakeSource.broker, nodes: [node],
            heldCases: [.init(caseId: crisisCase, recipient: "test-b", since: testNow - 60_000, seq: 1042)],
            deadLetters: 1)
        let aggregates = DashboardAggregates(
            deadlines: [
                .init(county: "350102", risk: "crisis", open: 2, overdue: 1),
                .init(county: "350203", risk: "routine", open: 5, overdue: 0),
            ], lastSeen: ["test-b": testNow - 5000])
        return FakeSource(status: status, aggregates: aggregates, overdue: [crisisItem])
    }

    @Test func overviewShowsTheCrisisCaseUnderItsCounty() async throws {
        let response = try await dashboard().respond(path: "/dashboard", query: nil, source: Self.seeded())
        #expect(response.status == 200)
        #expect(response.contentType == "text/html; charset=utf-8")
        let html = response.body
        // The chart's row of 350102 has a crisis bar of 1.
        let row = try #require(html.range(of: "data-county=\"350102\"")).upperBound
        let chartRow = html[row...].prefix(600)
        #expect(chartRow.contains("鼓楼区 (350102): 1 crisis overdue"))
        // The county table row and the most-overdue list name the county and link the case.
        #expect(html.contains("<a href=\"/dashboard/overdue?county=350102\">350102</a></td><td>鼓楼区</td>"))
        #expect(html.contains("<a href=\"/dashboard/case/\(crisisCase)\">\(crisisCase)</a>"))
        #expect(html.contains("鼓楼区 (350102)</td><td>civil-affairs</td><td><span class=\"crisis\">crisis</span>"))
        // Nodes: online, last seen, backlog and unacknowledged.
        #expect(html.contains("<td>test-b</td>") && html.contains("online"))
        #expect(html.contains("<td class=\"n\">3</td><td class=\"n\">2</td>"))
        #expect(html.contains("(5s ago)") || html.contains("(now)"))
    }

    /// Recent escalations: OVERDUE's items of level 1 or above, the latest escalation first, with when; an item of
    /// level 0 is overdue but not escalated.
    @Test func overviewListsRecentEscalationsLatestFirst() async throws {
        func item(_ id: Int64, _ caseId: String, level: Int64, escalatedAt: Int64?) -> AdminOverdueItem {
            AdminOverdueItem(
                id: id, caseId: caseId, item: "answer:test-b:referral.accepted", dueAt: testNow - 3_000_000,
                level: level, region: "350203001", agency: "health", risk: "routine", escalatedAt: escalatedAt)
        }
        let items = [
            item(1, "case-not-escalated", level: 0, escalatedAt: nil),
            item(2, "case-escalated-earlier", level: 2, escalatedAt: testNow - 600_000),
            item(3, "case-escalated-latest", level: 1, escalatedAt: testNow - 120_000),
        ]
        let source = FakeSource(overdue: items)
        let html = try await dashboard().respond(path: "/dashboard", query: nil, source: source).body
        // Two OVERDUE: by due time, and the escalated items (the fake answers both with all three).
        #expect(
            Set(source.asked.withLock { $0 }) == [
                AdminRequest.OverdueFilter(), AdminRequest.OverdueFilter(escalated: true, limit: 50),
            ])
        let start = try #require(html.range(of: "<h2 id=\"escalations\">Recent escalations</h2>")).upperBound
        let end = try #require(html.range(of: "<h2>Nodes</h2>")).lowerBound
        let section = String(html[start..<end])
        let latest = try #require(section.range(of: "case-escalated-latest"))
        let earlier = try #require(section.range(of: "case-escalated-earlier"))
        #expect(latest.lowerBound < earlier.lowerBound)
        #expect(!section.contains("case-not-escalated"))
        #expect(section.contains("<td>2026-01-01 00:58:00Z <span class=\"muted\">(2m ago)</span></td>"))
        #expect(section.contains("<td>2026-01-01 00:50:00Z <span class=\"muted\">(10m ago)</span></td>"))
        #expect(html.contains("case-not-escalated"))  // among the most overdue
    }

    @Test func chartHasARowForEveryCountyOfFujian() async throws {
        let html = try await dashboard().respond(path: "/dashboard", query: nil, source: Self.seeded()).body
        let counties = try DivisionTable.fujian().codes(at: .county)
        #expect(counties.count > 80)
        for county in counties { #expect(html.contains("data-county=\"\(county)\"")) }
    }

    @Test func everyStringFromTheBrokerIsEscaped() async throws {
        let evil = "<script>alert('x')</script>"
        let node = AdminStatus.Node(
            node: evil, agency: "a\"b", kind: "<k>", division: "", state: "removed", name: "", connected: false,
            pending: 0, inFlight: 0, deadLetters: 1, receiptsPending: 0)
        let item = AdminOverdueItem(
            id: 1, caseId: evil, item: evil, dueAt: testNow - 1000, level: 0, region: evil, agency: evil, risk: evil)
        let letter = AdminRepair.DeadLetter(
            seq: 7, messageId: evil, sender: evil, recipient: evil, kind: evil, caseId: evil, priority: "routine",
            deadLetteredAt: testNow, reason: evil, attempts: 1)
        let source = FakeSource(
            status: AdminStatus(broker: FakeSource.broker, nodes: [node], heldCases: [], deadLetters: 1),
            aggregates: .init(deadlines: [.init(county: evil, risk: evil, open: 1, overdue: 1)], lastSeen: [:]),
            overdue: [item], deadLetters: .init(deadLetters: [letter], nextCursor: nil))
        let board = try dashboard()
        for path in ["/dashboard", "/dashboard/overdue", "/dashboard/repair"] {
            let html = await board.respond(path: path, query: "county=%3Cscript%3E", source: source).body
            #expect(!html.contains("<script"), "\(path)")
            #expect(!html.contains("'x'"), "\(path)")
            #expect(html.contains("&lt;script&gt;"), "\(path)")
        }
    }

    @Test func casePageShowsTimelineButNoFreeText() async throws {
        let info = AdminCase(
            caseId: crisisCase,
            tracking: .init(
                status: "requested", attempt: 1, referrer: "test-a", service: "test-b", openedAt: testNow - 7_200_000,
                updatedAt: testNow - 7_200_000),
            deadlines: [
                .init(
                    id: 12, item: "answer:test-b:crisis.acknowledged", dueAt: testNow - 1_800_000, level: 1,
                    risk: "crisis", awaiting: .answer(kinds: ["crisis.acknowledged"], party: "test-b"))
            ],
            deadlinesTruncated: false,
            events: [
                .init(
                    at: testNow - 7_200_000, event: "accepted", seq: 1042, messageId: "test-a:000001", sender: "test-a",
                    detail: "kind=crisis.alert priority=crisis case=\(crisisCase)"),
                .init(
                    at: testNow - 7_100_000, event: "nacked", seq: 1042, messageId: "test-a:000001", sender: "test-a",
                    recipient: "test-b", attempt: 1, detail: "permanent: made-up child Li Ming not on our roll"),
            ])
        let source = FakeSource(cases: [crisisCase: info])
        let response = try await dashboard().respond(path: "/dashboard/case/\(crisisCase)", query: nil, source: source)
        #expect(response.status == 200)
        let html = response.body
        #expect(html.contains("acknowledgment from test-b"))
        #expect(html.contains("OVERDUE"))
        #expect(html.contains("kind=crisis.alert priority=crisis"))
        #expect(html.contains("<td>nacked</td>") && html.contains("permanent"))
        #expect(!html.contains("Li Ming"))
        #expect(html.contains("2025-12-31 23:00:00Z"))
    }

    /// The repair page lists DEAD-LETTERS' first page (asked with its default limit): message, id, kind, case linked,
    /// sender, recipient, time and attempts, and how many more STATUS counts; never a dead letter's reason.
    @Test func repairPageListsOpenDeadLettersWithoutTheirReason() async throws {
        let letters = [
            AdminRepair.DeadLetter(
                seq: 1042, messageId: "test-a:000001", sender: "test-a", recipient: "test-b", kind: "crisis.alert",
                caseId: crisisCase, priority: "crisis", deadLetteredAt: testNow - 600_000,
                reason: "made-up child Li Ming not on our roll", attempts: 1),
            AdminRepair.DeadLetter(
                seq: 1043, messageId: "test-a:000002", sender: "test-a", recipient: "test-c", kind: "referral.request",
                caseId: nil, priority: "routine", deadLetteredAt: testNow - 7_200_000,
                reason: "unknown student Wang Fang", attempts: 8),
        ]
        let status = AdminStatus(broker: FakeSource.broker, nodes: [], heldCases: [], deadLetters: 5)
        let source = FakeSource(status: status, deadLetters: .init(deadLetters: letters, nextCursor: "1043:test-c"))
        let response = try await dashboard().respond(path: "/dashboard/repair", query: nil, source: source)
        #expect(response.status == 200)
        #expect(source.askedDeadLetters.withLock { $0 } == [AdminRepair.Query(limit: 100)])
        let html = response.body
        #expect(
            html.contains(
                "<td class=\"n\">1042</td><td>test-a:000001</td><td>crisis.alert</td>"
                    + "<td><a href=\"/dashboard/case/\(crisisCase)\">\(crisisCase)</a></td><td>test-a</td>"
                    + "<td>test-b</td><td>2026-01-01 00:50:00Z <span class=\"muted\">(10m ago)</span></td>"
                    + "<td class=\"n\">1</td>"))
        #expect(
            html.contains(
                "<td class=\"n\">1043</td><td>test-a:000002</td><td>referral.request</td>"
                    + "<td><span class=\"muted\">-</span></td><td>test-a</td><td>test-c</td>"))
        #expect(html.contains("<td class=\"n\">8</td>"))
        #expect(html.contains("The first 2, by message; 3 more"))
        #expect(!html.contains("Li Ming") && !html.contains("Wang Fang") && !html.contains("roll"))

        let none = try await dashboard().respond(path: "/dashboard/repair", query: nil, source: FakeSource()).body
        #expect(none.contains("Open dead letters</h2><p class=\"muted\">None.</p>"))
        #expect(!none.contains("more:"))
    }

    @Test func overduePagePassesItsFiltersToOverdue() async throws {
        let source = Self.seeded()
        let response = try await dashboard().respond(
            path: "/dashboard/overdue", query: "county=350102&risk=crisis&agency=", source: source)
        #expect(response.status == 200)
        #expect(source.asked.withLock { $0 } == [AdminRequest.OverdueFilter(region: "350102", risk: "crisis")])
        #expect(response.body.contains(crisisCase))
        #expect(response.body.contains("Overdue in 鼓楼区 (350102), crisis"))
    }

    @Test func routesRedirectsAndErrors() async throws {
        let board = try dashboard()
        let root = await board.respond(path: "/", query: nil, source: FakeSource())
        #expect(root.status == 303 && root.headers.contains(.init("Location", "/dashboard")))
        let missing = await board.respond(path: "/dashboard/nope", query: nil, source: FakeSource())
        #expect(missing.status == 404)
        let noCase = await board.respond(path: "/dashboard/case/unknown-case", query: nil, source: FakeSource())
        #expect(noCase.status == 404 && noCase.body.contains("no case unknown-case"))
        let down = await board.respond(
            path: "/dashboard", query: nil, source: FakeSource(failure: AdminError(.storeFailed, "disk")))
        #expect(down.status == 503)
        #expect(Dashboard.handles("/") && Dashboard.handles("/dashboard/case/x") && !Dashboard.handles("/metrics"))
    }

    @Test func everyPageLoadsNothingButItself() async throws {
        let board = try dashboard()
        let response = await board.respond(path: "/dashboard", query: nil, source: Self.seeded())
        let policy = response.headers.first { $0.name == "Content-Security-Policy" }?.value ?? ""
        #expect(policy.hasPrefix("default-src 'none'"))
        #expect(!response.body.contains("src="))
        #expect(!response.body.contains("https://"))
        #expect(!response.body.contains("<script"))
    }
}
