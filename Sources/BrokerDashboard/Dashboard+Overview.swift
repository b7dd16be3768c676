import ReferralProtocol

extension Dashboard {
    /// The overview: nodes, what is overdue by risk and by county (table and chart), the most overdue items, the
    /// recent escalations, and dead letters and held cases in short. Four reads: STATUS, the aggregates and two
    /// OVERDUE (at most 1000 items by due time, and the 50 latest escalated items), whatever the number of open
    /// cases.
    func overview(_ source: some DashboardSource, now: Int64) async throws -> String {
        async let statusRead = source.status()
        async let aggregatesRead = source.aggregates()
        async let overdueRead = source.overdue(AdminRequest.OverdueFilter())
        async let escalatedRead = source.overdue(AdminRequest.OverdueFilter(escalated: true, limit: 50))
        let (status, aggregates, overdue, escalated) = try await (
            statusRead, aggregatesRead, overdueRead, escalatedRead
        )
        let tally = CountyTally(aggregates.deadlines, divisions: divisions)

        var html = cards(status, tally)
        html += "<h2>Overdue by risk level</h2>" + riskTable(tally)
        html += "<h2 id=\"counties\">Overdue by county</h2>"
        html += CountyChart.svg(tally, divisions: divisions)
        html += countyTable(tally)
        html += "<h2>Most overdue</h2>" + overdueTable(Array(overdue.prefix(20)), now: now)
        if overdue.count > 20 {
            html +=
                "<p>"
                + HTML.link(
                    "\(Self.base)/overdue", "All overdue items (\(overdue.count)\(overdue.count >= 1000 ? "+" : ""))")
                + "</p>"
        }
        html += "<h2 id=\"escalations\">Recent escalations</h2>"
        html +=
            "<p class=\"muted\">Items still open that escalated (level ≥ 1), the latest escalation first; an item "
            + "answered since, or past its last step, leaves the list (the audit trail keeps every escalation).</p>"
        html += escalationTable(Array(Self.recentEscalations(escalated).prefix(50)), now: now)
        html += "<h2>Nodes</h2>" + nodesTable(status.nodes, lastSeen: aggregates.lastSeen, now: now)
        html += "<h2>Dead letters and held cases</h2>"
        html +=
            "<p>\(status.deadLetters) dead letters, \(status.heldCases.count) held cases: "
            + HTML.link("\(Self.base)/repair", "details") + "</p>"
        return HTML.page(title: "Overview", generatedAt: Format.utc(now), html)
    }

    func cards(_ status: AdminStatus, _ tally: CountyTally) -> String {
        let online = status.nodes.filter(\.connected).count
        let crisis = tally.byRisk["crisis"]?.overdue ?? 0
        func card(_ label: String, _ value: String, bad: Bool = false) -> String {
            "<div class=\"card\"><b class=\"\(bad ? "bad" : "")\">\(HTML.escape(value))</b>\(HTML.escape(label))</div>"
        }
        return "<div class=\"cards\">"
            + card("nodes online", "\(online) / \(status.nodes.count)")
            + card("overdue", "\(tally.total.overdue)", bad: tally.total.overdue > 0)
            + card("crisis overdue", "\(crisis)", bad: crisis > 0)
            + card("open deadlines", "\(tally.total.open)")
            + card("dead letters", "\(status.deadLetters)", bad: status.deadLetters > 0)
            + card("held cases", "\(status.heldCases.count)", bad: !status.heldCases.isEmpty)
            + "</div>"
    }

    func riskTable(_ tally: CountyTally) -> String {
        let rows = tally.risks.map { risk -> [String] in
            let counts = tally.byRisk[risk] ?? .zero
            let link = HTML.link("\(Self.base)/overdue?risk=\(HTML.percentEncode(risk))", "\(counts.overdue)")
            return [Risk.cell(risk), link, "\(counts.open)"]
        }
        return HTML.table(["risk", "overdue", "open"], rows, numeric: [1, 2])
    }

    func countyTable(_ tally: CountyTally) -> String {
        let risks = tally.risks
        var rows: [[String]] = []
        for county in tally.rowsInOrder {
            let counts = tally.byCounty[county] ?? [:]
            let total = counts.values.reduce(CountyTally.Counts.zero, +)
            let name = divisions.name(of: county) ?? "(not a county of the table)"
            let link = HTML.link("\(Self.base)/overdue?county=\(HTML.percentEncode(county))", county)
            rows.append(
                [link, HTML.escape(name), HTML.escape(divisions.cityName(of: county))]
                    + risks.map { "\(counts[$0]?.overdue ?? 0)" } + ["<b>\(total.overdue)</b>", "\(total.open)"])
        }
        return HTML.table(
            ["county", "name", "city"] + risks.map { "\($0) overdue" } + ["overdue", "open"], rows,
            numeric: Set(3..<(5 + risks.count)),
            caption: "Counties with open deadlines (every county of the table is in the chart above)")
    }

    /// OVERDUE items: case, what is awaited, the late party's county and agency, risk, level, due.
    func overdueTable(_ items: [AdminOverdueItem], now: Int64) -> String {
        guard !items.isEmpty else { return "<p class=\"muted\">Nothing.</p>" }
        let rows = items.map { item -> [String] in
            let county = item.region.flatMap { divisions.county(of: $0) }
            return [
                Items.caseCell(item.caseId), HTML.escape(Items.describe(item.item)),
                county.map { HTML.escape(divisions.label($0)) } ?? HTML.escape(item.region ?? "-"),
                HTML.escape(item.agency ?? "-"), Risk.cell(item.risk), "\(item.level)",
                "\(HTML.escape(Format.utc(item.dueAt))) <span class=\"bad\">(overdue \(HTML.escape(Format.duration(max(0, now - item.dueAt)))))</span>",
            ]
        }
        return HTML.table(["case", "awaiting", "county", "agency", "risk", "level", "due"], rows, numeric: [5])
    }

    /// OVERDUE's escalated items (level ≥ 1), by when they last escalated, latest first, then by id, as the broker
    /// orders them; sorted again so the page does not depend on it (an item without the time comes last).
    static func recentEscalations(_ items: [AdminOverdueItem]) -> [AdminOverdueItem] {
        items.filter { $0.level > 0 }.sorted { ($0.escalatedAt ?? .min, $0.id) > ($1.escalatedAt ?? .min, $1.id) }
    }

    /// Escalated items: when, case, what is awaited, county, agency, risk, level, when the next step falls due.
    func escalationTable(_ items: [AdminOverdueItem], now: Int64) -> String {
        guard !items.isEmpty else { return "<p class=\"muted\">Nothing.</p>" }
        let rows = items.map { item -> [String] in
            let county = item.region.flatMap { divisions.county(of: $0) }
            return [
                item.escalatedAt.map { Format.time($0, now: now) } ?? "<span class=\"muted\">-</span>",
                Items.caseCell(item.caseId), HTML.escape(Items.describe(item.item)),
                county.map { HTML.escape(divisions.label($0)) } ?? HTML.escape(item.region ?? "-"),
                HTML.escape(item.agency ?? "-"), Risk.cell(item.risk), "\(item.level)",
                Format.time(item.dueAt, now: now),
            ]
        }
        return HTML.table(
            ["escalated", "case", "awaiting", "county", "agency", "risk", "level", "next step due"], rows, numeric: [6])
    }

    func nodesTable(_ nodes: [AdminStatus.Node], lastSeen: [String: Int64], now: Int64) -> String {
        let rows = nodes.map { node -> [String] in
            let seen =
                lastSeen[node.node].map { Format.time($0, now: now) } ?? "<span class=\"muted\">not since start</span>"
            return [
                HTML.escape(node.node), HTML.escape(node.agency), HTML.escape(node.kind),
                HTML.escape(node.division.isEmpty ? "-" : divisions.label(node.division)), HTML.escape(node.state),
                node.connected ? "<span class=\"ok\">online</span>" : "<span class=\"bad\">offline</span>", seen,
                "\(node.pending)", "\(node.inFlight)", "\(node.deadLetters)",
            ]
        }
        return HTML.table(
            [
                "node", "agency", "kind", "division", "state", "connection", "last seen", "backlog", "unacknowledged",
                "dead letters",
            ], rows, numeric: [7, 8, 9])
    }
}
