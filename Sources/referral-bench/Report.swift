import Foundation

/// Everything one invocation measured; printed as tables, or as JSON with `--json`.
struct BenchReport: Codable, Sendable {
    var date: String
    var machine: MachineInfo
    var settings: Settings
    var throughput: [ThroughputResult] = []
    var latency: LatencyResult?

    struct Settings: Codable, Sendable {
        var messages: Int
        var bodyBytes: Int
        var batchSize: Int
        var window: Int
        var rate: Double
        var durationSeconds: Double
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
        out += "\nbody \(settings.bodyBytes) B, send(batch:) of \(settings.batchSize), window \(settings.window)\n\n"
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
