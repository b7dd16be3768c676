import ReferralProtocol

extension Dashboard {
    /// OVERDUE with the filters of its form: county (or any division prefix), risk, agency.
    func overduePage(_ source: some DashboardSource, _ query: Query, now: Int64) async throws -> String {
        let filter = AdminRequest.OverdueFilter(
            region: query["county"] ?? query["region"], agency: query["agency"], risk: query["risk"])
        let items = try await source.overdue(filter)
        var title = "Overdue"
        if let region = filter.region { title += " in " + divisions.label(region) }
        if let risk = filter.risk { title += ", \(risk)" }
        if let agency = filter.agency { title += ", \(agency)" }
        var html = form(filter)
        html += "<p>\(items.count)\(items.count >= 1000 ? " (the first 1000, by due time)" : "") overdue items.</p>"
        html += overdueTable(items, now: now)
        return HTML.page(title: title, generatedAt: Format.utc(now), html)
    }

    private func form(_ filter: AdminRequest.OverdueFilter) -> String {
        var out = "<form method=\"get\" action=\"\(Self.base)/overdue\"><label>County or division "
        out += "<input name=\"county\" size=\"10\" value=\"\(HTML.escape(filter.region ?? ""))\"></label> "
        out += "<label>Risk <select name=\"risk\"><option value=\"\">any</option>"
        for risk in Risk.levels {
            out += "<option\(filter.risk == risk ? " selected" : "")>\(HTML.escape(risk))</option>"
        }
        out += "</select></label> <label>Agency <input name=\"agency\" size=\"14\" value=\""
        out += HTML.escape(filter.agency ?? "") + "\"></label> <button>Show</button></form>"
        return out
    }

    /// Held cases (STATUS) and the open dead letters (DEAD-LETTERS' first page, by seq then recipient), with their
    /// count per node (STATUS). Listing, redriving and discarding dead letters and releasing held cases are operator
    /// actions of `referralctl`: this page only shows. A dead letter's `reason` is a node's free text: not shown.
    func repairPage(_ source: some DashboardSource, now: Int64) async throws -> String {
        async let statusRead = source.status()
        async let listRead = source.deadLetters(AdminRepair.Query(limit: Self.deadLetterLimit))
        let (status, list) = try await (statusRead, listRead)
        var html = "<h2>Held cases</h2>"
        html +=
            "<p class=\"muted\">A case's later messages to a recipient wait behind its dead letter until an "
            + "operator releases it.</p>"
        if status.heldCases.isEmpty {
            html += "<p class=\"muted\">None.</p>"
        } else {
            let rows = status.heldCases.map { held in
                [
                    Items.caseCell(held.caseId), HTML.escape(held.recipient), Format.time(held.since, now: now),
                    "\(held.seq)",
                ]
            }
            html += HTML.table(["case", "recipient", "held since", "dead letter (message)"], rows, numeric: [3])
        }
        html += "<h2>Dead letters</h2><p>\(status.deadLetters) in total.</p>"
        let rows = status.nodes.filter { $0.deadLetters > 0 }.map { node in
            [HTML.escape(node.node), HTML.escape(node.agency), HTML.escape(node.kind), "\(node.deadLetters)"]
        }
        if !rows.isEmpty { html += HTML.table(["recipient", "agency", "kind", "dead letters"], rows, numeric: [3]) }
        html += "<h2 id=\"dead-letters\">Open dead letters</h2>"
        html += deadLetterTable(list.deadLetters, now: now)
        // How many more from STATUS's total (a count kept in memory: no second read of the store).
        let more = status.deadLetters - list.deadLetters.count
        if more > 0 {
            html +=
                "<p>The first \(list.deadLetters.count), by message; \(more) more: "
                + "<code>referralctl dead-letters list</code> shows them all.</p>"
        }
        return HTML.page(title: "Dead letters and held cases", generatedAt: Format.utc(now), html)
    }

    /// How many open dead letters the repair page lists (DEAD-LETTERS' default page).
    static let deadLetterLimit: Int64 = AdminRepair.Query.defaultLimit

    /// Open dead letters: message, kind, case, sender, recipient, when, attempts. Never the reason (a node's free
    /// text, which may name a person) and never a body (DEAD-LETTERS returns none).
    func deadLetterTable(_ letters: [AdminRepair.DeadLetter], now: Int64) -> String {
        guard !letters.isEmpty else { return "<p class=\"muted\">None.</p>" }
        let rows = letters.map { letter -> [String] in
            [
                "\(letter.seq)", HTML.escape(letter.messageId), HTML.escape(letter.kind), Items.caseCell(letter.caseId),
                HTML.escape(letter.sender), HTML.escape(letter.recipient), Format.time(letter.deadLetteredAt, now: now),
                "\(letter.attempts)",
            ]
        }
        return HTML.table(
            ["message", "message id", "kind", "case", "sender", "recipient", "dead-lettered", "attempts"], rows,
            numeric: [0, 7])
    }

    /// CASE: where the case stands, its open deadlines and its timeline. Event details are reduced to the kind
    /// and priority of each message and the word retry/permanent of a refusal: free text a node wrote is not shown.
    func casePage(_ source: some DashboardSource, caseId: String, now: Int64) async throws -> String {
        let info = try await source.caseInfo(caseId)
        var html = ""
        if let tracking = info.tracking {
            var rows: [[String]] = [
                ["status", "<b>\(HTML.escape(tracking.status))</b>"],
                ["referrer", HTML.escape(tracking.referrer ?? "-")], ["service", HTML.escape(tracking.service ?? "-")],
                ["attempt", "\(tracking.attempt)"],
            ]
            if let opened = tracking.openedAt { rows.append(["opened", Format.time(opened, now: now)]) }
            if let updated = tracking.updatedAt { rows.append(["updated", Format.time(updated, now: now)]) }
            html += HTML.table(["", ""], rows)
        } else {
            html += "<p>No referral request opened this case: it has messages or deadlines only.</p>"
        }
        html += "<h2>Open deadlines</h2>"
        if info.deadlines.isEmpty {
            html += "<p class=\"muted\">None.</p>"
        } else {
            let rows = info.deadlines.map { deadline -> [String] in
                let late = deadline.dueAt <= now || deadline.level > 0
                return [
                    HTML.escape(Items.describe(deadline)), Risk.cell(deadline.risk), "\(deadline.level)",
                    Format.time(deadline.dueAt, now: now), late ? "<span class=\"bad\">OVERDUE</span>" : "",
                ]
            }
            html += HTML.table(["awaiting", "risk", "level", "due", ""], rows, numeric: [2])
            if info.deadlinesTruncated { html += "<p class=\"muted\">More open deadlines than shown.</p>" }
        }
        html += "<h2>Timeline</h2>"
        let rows = info.events.map { event -> [String] in
            [
                HTML.escape(Format.utc(event.at)), HTML.escape(event.event), "\(event.seq)",
                HTML.escape(event.messageId), HTML.escape(event.sender), HTML.escape(event.recipient ?? ""),
                event.attempt.map { "\($0)" } ?? "", HTML.escape(Timeline.summary(event)),
            ]
        }
        html += HTML.table(["at (UTC)", "event", "message", "message id", "sender", "recipient", "attempt", ""], rows)
        return HTML.page(title: "Case \(info.caseId)", generatedAt: Format.utc(now), html)
    }
}

/// What the case page shows of an event's `detail`: only the structured words, never a node's free text.
enum Timeline {
    static func summary(_ event: AdminTrailEvent) -> String {
        guard let detail = event.detail else { return "" }
        switch event.event {
        case "accepted":
            let words = detail.split(separator: " ").filter { $0.hasPrefix("kind=") || $0.hasPrefix("priority=") }
            return words.joined(separator: " ")
        case "nacked":
            return detail.hasPrefix("permanent") ? "permanent" : detail.hasPrefix("retry") ? "retry" : ""
        default:
            return ""
        }
    }
}
