import Foundation

/// Everything one invocation measured; printed as tables, or as JSON with `--json`.
struct BenchReport: Codable, Sendable {
    var date: String
    var machine: MachineInfo
    var settings: Settings
    var throughput: [ThroughputResult] = []
    var latency: LatencyResult?
    var deadlines: DeadlineResult?
    var inboxDrain: InboxDrainResult?
    var backlog: BacklogResult?
    var retention: RetentionResult?
    var dashboard: DashboardResult?
    var gateway: GatewayResult?
    var takeover: TakeoverResult?

    struct Settings: Codable, Sendable {
        var messages: Int
        var bodyBytes: Int
        var batchSize: Int
        var window: Int
        var rate: Double
        var durationSeconds: Double
        /// `curve` (`--curve`) or `plaintext`: how the nodes connected.
        var security: String
        /// `sqlite` (the default) or `postgresql` (`--postgresql`): where the broker kept its store.
        var store: String
    }

    func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }

    func text() -> String {
        var out = "referral-bench \(date): \(machine.cores) cores (\(machine.cpu)), \(machine.memoryGiB) GiB; "
        out += "load average \(machine.loadAverageBefore) before"
        if let after = machine.loadAverageAfter { out += ", \(after) after" }
        out += settings.security == "curve" ? "; nodes over CURVE" : "; nodes in plain text"
        out += "; broker store \(settings.store)\n"
        if !throughput.isEmpty || latency != nil {
            out += "body \(settings.bodyBytes) B, send(batch:) of \(settings.batchSize), window \(settings.window)\n"
        }
        out += "\n"
        if !throughput.isEmpty {
            out += Table(
                header: [
                    "scenario", "topology", "msgs", "enqueued/s", "accepted/s", "e2e/s (ACK)", "receipts/s",
                    "broker fsync/msg",
                    "msgs/broker commit", "broker rows/msg", "node fsync/msg", "cores: broker+nodes", "cores: others",
                ],
                rows: throughput.map { result in
                    [
                        result.scenario, result.topology, "\(result.messages)",
                        Self.rate(Double(result.messages) / result.enqueueSeconds), Self.rate(result.acceptedPerSecond),
                        result.endToEndPerSecond.map(Self.rate) ?? "-", result.receiptsPerSecond.map(Self.rate) ?? "-",
                        Self.ratio(result.io.brokerTransactionsPerMessage),
                        String(format: "%.1f", result.io.messagesPerBrokerTransaction),
                        Self.ratio(result.io.brokerRowsPerMessage),
                        result.io.nodeSyncsPerMessage.map(Self.ratio) ?? "n/a", Self.cores(result.io),
                        Self.otherCores(result.io),
                    ]
                }
            ).render()
            out += "\n"
        }
        if let inboxDrain { out += inboxDrain.text() }
        if let latency {
            out += "latency: \(latency.topology), offered \(Int(latency.offeredRate)) msg/s open loop for "
            out += "\(Self.number(latency.durationSeconds)) s (\(latency.messages) msgs, achieved "
            out += "\(Self.rate(latency.achievedRate)) msg/s, \(String(format: "%.1f", latency.averageBatch)) msgs "
            out += "per send(batch:))\n"
            out += Table(
                header: ["latency (ms)", "p50", "p99", "max", "samples"],
                rows: [
                    ("accept: ACCEPTED read by sender (all)", latency.accept),
                    ("end to end: in inbox, ACK at broker (all)", latency.endToEnd),
                    ("accept: outcome(of:) returned (1 in \(latency.sampleEvery))", latency.acceptObserved),
                    ("receipt: waitForReceipts returned (1 in \(latency.sampleEvery))", latency.receiptObserved),
                ].map { name, summary in
                    [name, Self.ms(summary.p50), Self.ms(summary.p99), Self.ms(summary.max), "\(summary.count)"]
                }
            ).render()
            out +=
                "at \(Int(latency.offeredRate)) msg/s: broker \(Self.ratio(latency.io.brokerTransactionsPerMessage)) "
            out += "fsync/msg, \(Self.ratio(latency.io.brokerRowsPerMessage)) rows/msg; nodes "
            out += "\(latency.io.nodeSyncsPerMessage.map(Self.ratio) ?? "n/a") fsync/msg; cores used (broker+nodes) "
            out += "\(Self.cores(latency.io)), by other processes \(Self.otherCores(latency.io))\n"
        }
        if let deadlines { out += (throughput.isEmpty && latency == nil ? "" : "\n") + deadlines.text() }
        if let backlog { out += (out.hasSuffix("\n\n") ? "" : "\n") + backlog.text() }
        if let retention { out += (out.isEmpty || out.hasSuffix("\n\n") ? "" : "\n") + retention.text() }
        if let dashboard { out += (out.isEmpty || out.hasSuffix("\n\n") ? "" : "\n") + dashboard.text() }
        if let gateway { out += (out.isEmpty || out.hasSuffix("\n\n") ? "" : "\n") + gateway.text() }
        if let takeover { out += (out.isEmpty || out.hasSuffix("\n\n") ? "" : "\n") + takeover.text() }
        return out
    }

    /// Average cores busy during the timed part: broker + this process.
    static func cores(_ io: IOCounts) -> String {
        guard io.wallSeconds > 0 else { return "-" }
        return String(format: "%.2f+%.2f", io.brokerCPUSeconds / io.wallSeconds, io.nodesCPUSeconds / io.wallSeconds)
    }

    /// Average cores other processes kept busy meanwhile (0 on an otherwise idle machine).
    static func otherCores(_ io: IOCounts) -> String {
        guard io.wallSeconds > 0 else { return "-" }
        return String(format: "%.2f", io.otherCPUSeconds / io.wallSeconds)
    }

    static func rate(_ value: Double) -> String { String(format: "%.0f", value) }
    static func ratio(_ value: Double) -> String { String(format: "%.3f", value) }
    static func ms(_ value: Double) -> String { String(format: "%.1f", value) }
    static func number(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(format: "%.1f", value)
    }
}

/// A plain text table with right-aligned numbers.
struct Table {
    var header: [String]
    var rows: [[String]]

    func render() -> String {
        let widths = header.indices.map { column in
            ([header[column]] + rows.map { $0[column] }).map(\.count).max() ?? 0
        }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { column, cell in
                let pad = String(repeating: " ", count: widths[column] - cell.count)
                return column < 2 ? cell + pad : pad + cell
            }.joined(separator: "  ")
        }
        var out = line(header) + "\n"
        out += widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ") + "\n"
        for row in rows { out += line(row) + "\n" }
        return out
    }
}

extension DeadlineResult {
    func text() -> String {
        func ms(_ value: Double) -> String { String(format: "%.0f", value) }
        func cores(_ value: Double) -> String { String(format: "%.2f", value) }
        let rows = openDeadlines + firingDeadlines
        let perNotice = BenchReport.ratio(Double(brokerTransactions) / Double(max(fired, 1)))
        let spreadText = BenchReport.number(firingSpreadSeconds)
        let leadText = BenchReport.number(firingLeadSeconds)
        var out = "deadlines: \(openDeadlines) open (due in \(openDueDays) days and later, "
        out += caseRows ? "each with its case" : "no case rows"
        out += ") + \(firingDeadlines) falling due over \(spreadText) s (from \(leadText) s after they were written), "
        out += "one escalation.notice each to the online county bureau\n"
        out += "store written before the start: \(rows) deadlines" + (caseRows ? " and cases" : "")
        out += " in \(String(format: "%.1f", seedSeconds)) s "
        out += "(\(BenchReport.rate(Double(rows) / seedSeconds)) deadlines/s), "
        out += "\(String(format: "%.1f", Double(storeBytes) / 1_048_576)) MiB on disk\n"
        out += "start-up: spawn -> ready file \(ms(readyAfterMillis)) ms, "
        out += "-> first STATUS reply \(ms(statusAfterMillis)) ms"
        out += startedLate ? " (ready AFTER the first deadline was due: the lag includes start-up)\n" : "\n"
        out += "broker memory: after start \(memoryAfterStart?.text ?? "n/a"); after firing "
        out += "\(memoryAfterFiring?.text ?? "n/a")\n"
        out += Table(
            header: ["firing lag (ms)", "p50", "p99", "max", "samples"],
            rows: [
                ("due -> fired by the broker (notice accepted_at)", fireLag),
                ("due -> notice in the bureau's inbox (received_at)", inboxLag),
            ].map { name, summary in
                [
                    name, BenchReport.number(summary.p50), BenchReport.number(summary.p99),
                    BenchReport.number(summary.max), "\(summary.count)",
                ]
            }
        ).render()
        out += "fired \(fired) of \(firingDeadlines) (\(missing) missing, \(duplicates) twice, "
        out +=
            "\(unexpected) unexpected); open deadlines after: \(openAfter) (expected \(openDeadlines + firingDeadlines): "
        out += "each fired item stays open for its next reminder); "
        out += "cores during the firing window: broker \(cores(brokerCores)), other processes \(cores(otherCores)); "
        out += "broker \(brokerTransactions) store transactions (\(perNotice) per notice), \(brokerRows) rows written; "
        out += "stop (SIGTERM -> exit) \(ms(stopMillis)) ms\n"
        out += "admin OVERDUE (referralctl overdue, the fired items overdue) answered in \(ms(overdueMillis)) ms, "
        out += "with a region filter in \(ms(overdueRegionMillis)) ms\n"
        if let catchUp {
            out += "catch-up after a restart: \(catchUp.deadlines) deadlines \(ms(catchUp.overdueSecondsMin))-"
            out += "\(ms(catchUp.overdueSecondsMax)) s overdue: ready \(ms(catchUp.readyAfterMillis)) ms, "
            out += "STATUS \(ms(catchUp.statusAfterMillis)) ms, all fired \(ms(catchUp.allFiredAfterMillis)) ms, "
            out += "all in the inbox \(ms(catchUp.allDeliveredAfterMillis)) ms after the spawn "
            out += "(\(BenchReport.rate(catchUp.firedPerSecond)) fired/s since the spawn); "
            out += "memory after: \(catchUp.memoryAfter?.text ?? "n/a"); \(catchUp.missing) missing, "
            out += "\(catchUp.duplicates) twice, \(catchUp.unexpected) unexpected, open after \(catchUp.openAfter)\n"
        }
        return out
    }
}

extension DashboardResult {
    func text() -> String {
        var out = "dashboard: \(openCases) open cases (\(overdue) overdue) over \(counties) counties; store "
        out += String(
            format: "%.1f MiB written in %.1f s; ready after %.0f ms\n", Double(storeBytes) / 1_048_576,
            seedSeconds, readyAfterMillis)
        out += "page                                        status    bytes   median ms   max ms\n"
        for page in pages {
            let path = page.path.count > 42 ? String(page.path.prefix(39)) + "..." : page.path
            out += path.padding(toLength: 44, withPad: " ", startingAt: 0)
            out += String(format: "%6d %8d %11.1f %8.1f\n", page.status, page.bytes, page.medianMillis, page.maxMillis)
        }
        return out
    }
}
