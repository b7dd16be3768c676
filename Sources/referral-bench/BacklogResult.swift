/// The outcome of the backlog scenario (issue 9: what messages waiting for an offline node cost the broker).
struct BacklogResult: Codable, Sendable {
    var scenario = "backlog"
    var messages: Int
    var bodyBytes: Int
    /// The fill: every message sent by the sender and ACCEPTED while its recipient is offline (as `accept-1x1`).
    var fill: ThroughputResult
    /// The broker's memory (VmRSS, VmHWM) once started on an empty store with the sender connected.
    var memoryIdle: ProcessMemory?
    /// After the fill, once the broker has settled: `messages` deliveries wait for the offline recipient.
    var memoryAfterFill: ProcessMemory?
    /// SIGTERM -> exit of the broker holding the backlog (the sender has gone offline before).
    var stopMillis: Double
    /// The restart with the backlog in the store: spawn -> ready file, spawn -> first admin STATUS reply.
    var restartReadyMillis: Double
    var restartStatusMillis: Double
    /// The recipient's deliveries (pending + in flight) that STATUS shows after the restart: `messages`.
    var waitingAfterRestart: Int
    /// The broker's memory 1 s after its first STATUS reply after the restart, no node connected.
    var memoryAfterRestart: ProcessMemory?
    /// The recipient's start -> STATUS shows none of its deliveries pending or in flight: each one committed to its
    /// inbox and ACKed (STATUS polled every 50 ms).
    var drainSeconds: Double
    var drainedPerSecond: Double
    /// The broker's and the nodes' disk and CPU work during the drain.
    var drainIO: IOCounts
    /// Receipts waiting for the offline sender after the drain: `messages`.
    var receiptsWaiting: Int
    /// The broker's memory after the drain, settled, with every receipt waiting unconfirmed.
    var memoryAfterDrain: ProcessMemory?
}

extension BacklogResult {
    func text() -> String {
        func ms(_ value: Double) -> String { String(format: "%.0f", value) }
        var out = "backlog: \(messages) messages of \(bodyBytes) B from \(Fleet.senderId(0)) to "
        out += "\(Fleet.recipientId(0)) while it is offline; the sender offline too; restart; the recipient drains all "
        out += "while every receipt waits for the sender\n"
        out +=
            "fill: \(BenchReport.rate(fill.acceptedPerSecond)) accepted/s (\(String(format: "%.1f", fill.acceptSeconds)) "
        out += "s), broker \(BenchReport.ratio(fill.io.brokerTransactionsPerMessage)) fsync/msg, "
        out += "\(BenchReport.ratio(fill.io.brokerRowsPerMessage)) rows/msg, cores broker+nodes "
        out += "\(BenchReport.cores(fill.io)), others \(BenchReport.otherCores(fill.io))\n"
        out += "restart with \(waitingAfterRestart) waiting: stop (SIGTERM -> exit) \(ms(stopMillis)) ms; "
        out += "spawn -> ready file \(ms(restartReadyMillis)) ms, -> first STATUS reply \(ms(restartStatusMillis)) ms\n"
        out +=
            "drain into the inbox: \(BenchReport.rate(drainedPerSecond)) msg/s (\(String(format: "%.1f", drainSeconds)) "
        out += "s from the recipient's start until STATUS showed its last ACK), broker "
        out += "\(BenchReport.ratio(drainIO.brokerTransactionsPerMessage)) fsync/msg, node "
        out += "\(drainIO.nodeSyncsPerMessage.map(BenchReport.ratio) ?? "n/a") fsync/msg, cores broker+nodes "
        out += "\(BenchReport.cores(drainIO)), others \(BenchReport.otherCores(drainIO)); "
        out += "\(receiptsWaiting) receipts waiting for the sender after it\n"
        out += Table(
            header: ["broker memory", "waiting", "VmRSS MiB", "VmHWM MiB"],
            rows: [
                ("started, sender connected", "nothing", memoryIdle),
                ("after the fill", "\(messages) deliveries", memoryAfterFill),
                ("1 s after the restart", "\(waitingAfterRestart) deliveries", memoryAfterRestart),
                ("after the drain, sender offline", "\(receiptsWaiting) receipts", memoryAfterDrain),
            ].map { name, waiting, value in
                [
                    name, waiting, value.map { ProcessMemory.mib($0.rssKiB) } ?? "n/a",
                    value.map { ProcessMemory.mib($0.peakKiB) } ?? "n/a",
                ]
            }
        ).render()
        return out
    }
}
