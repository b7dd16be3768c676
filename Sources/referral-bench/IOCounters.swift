#if canImport(Glibc)
    import Glibc
#endif

/// Disk work of one measured run: the broker's store counters (admin STATUS) and this process's fsyncs (the nodes).
struct IOCounts: Codable, Sendable {
    /// Broker store transactions committed during the run; each is one WAL fsync (`synchronous=FULL`), so this is
    /// the broker's fsync count (WAL checkpoints add a few syncs that STATUS does not count).
    var brokerTransactions: Int
    /// Rows the broker inserted or updated (messages, deliveries, receipts, trail events, confirmations).
    var brokerRows: Int
    /// fdatasync/fsync calls of the bench process: every node store (senders' outbox commits and answer/receipt
    /// rounds, recipients' inbox rounds, checkpoints). nil when the counting interposer is not active.
    var nodeSyncs: Int?
    var messages: Int
    /// CPU time (user + system) the broker process and this process (all nodes, the bench's own waits) used
    /// during the run, and the wall time of the run, in seconds: on 2 cores, broker + nodes near 2 x wall means
    /// the run was CPU-bound.
    var brokerCPUSeconds: Double = 0
    var nodesCPUSeconds: Double = 0
    var wallSeconds: Double = 0
    /// CPU time all other processes of the machine used meanwhile (from /proc/stat): other work running at the
    /// same time (e.g. compilers on a shared machine) skews the figures.
    var otherCPUSeconds: Double = 0

    var brokerTransactionsPerMessage: Double { Double(brokerTransactions) / Double(max(messages, 1)) }
    var brokerRowsPerMessage: Double { Double(brokerRows) / Double(max(messages, 1)) }
    var nodeSyncsPerMessage: Double? { nodeSyncs.map { Double($0) / Double(max(messages, 1)) } }
    var messagesPerBrokerTransaction: Double { Double(messages) / Double(max(brokerTransactions, 1)) }

    enum CodingKeys: String, CodingKey {
        case brokerTransactions = "broker_transactions"
        case brokerRows = "broker_rows_written"
        case nodeSyncs = "node_fsyncs"
        case messages
        case brokerTransactionsPerMessage = "broker_fsyncs_per_message"
        case brokerRowsPerMessage = "broker_rows_per_message"
        case nodeSyncsPerMessage = "node_fsyncs_per_message"
        case brokerCPUSeconds = "broker_cpu_seconds"
        case nodesCPUSeconds = "nodes_cpu_seconds"
        case wallSeconds = "wall_seconds"
        case otherCPUSeconds = "other_processes_cpu_seconds"
    }

    init(brokerTransactions: Int, brokerRows: Int, nodeSyncs: Int?, messages: Int) {
        self.brokerTransactions = brokerTransactions
        self.brokerRows = brokerRows
        self.nodeSyncs = nodeSyncs
        self.messages = messages
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        brokerTransactions = try container.decode(Int.self, forKey: .brokerTransactions)
        brokerRows = try container.decode(Int.self, forKey: .brokerRows)
        nodeSyncs = try container.decodeIfPresent(Int.self, forKey: .nodeSyncs)
        messages = try container.decode(Int.self, forKey: .messages)
        brokerCPUSeconds = try container.decode(Double.self, forKey: .brokerCPUSeconds)
        nodesCPUSeconds = try container.decode(Double.self, forKey: .nodesCPUSeconds)
        wallSeconds = try container.decode(Double.self, forKey: .wallSeconds)
        otherCPUSeconds = try container.decode(Double.self, forKey: .otherCPUSeconds)
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(brokerTransactions, forKey: .brokerTransactions)
        try container.encode(brokerRows, forKey: .brokerRows)
        try container.encode(nodeSyncs, forKey: .nodeSyncs)
        try container.encode(messages, forKey: .messages)
        try container.encode(brokerTransactionsPerMessage, forKey: .brokerTransactionsPerMessage)
        try container.encode(brokerRowsPerMessage, forKey: .brokerRowsPerMessage)
        try container.encode(nodeSyncsPerMessage, forKey: .nodeSyncsPerMessage)
        try container.encode(brokerCPUSeconds, forKey: .brokerCPUSeconds)
        try container.encode(nodesCPUSeconds, forKey: .nodesCPUSeconds)
        try container.encode(wallSeconds, forKey: .wallSeconds)
        try container.encode(otherCPUSeconds, forKey: .otherCPUSeconds)
    }
}

/// Takes the counters before a run and, once the broker is quiet, after it.
struct IOProbe {
    let adminEndpoint: String
    let brokerPid: Int32
    let before: BrokerStatus
    let syncsBefore: Int
    let brokerCPUBefore: Double
    let nodesCPUBefore: Double
    let machineCPUBefore: Double
    let startNanos: UInt64
    private var end: (nanos: UInt64, brokerCPU: Double, nodesCPU: Double, machineCPU: Double)?

    static func start(adminEndpoint: String, brokerPid: Int32) async throws -> IOProbe {
        IOProbe(
            adminEndpoint: adminEndpoint, brokerPid: brokerPid,
            before: try await BrokerStatus.fetch(endpoint: adminEndpoint), syncsBefore: SyncCounter.count,
            brokerCPUBefore: cpuSeconds(pid: brokerPid), nodesCPUBefore: cpuSeconds(pid: getpid()),
            machineCPUBefore: machineCPUSeconds(), startNanos: Clocks.monotonicNanos())
    }

    /// Busy CPU time of the whole machine (all cores) from the first line of /proc/stat: user, nice, system,
    /// irq, softirq and steal; idle and iowait are not busy.
    static func machineCPUSeconds() -> Double {
        guard let stat = try? String(contentsOfFile: "/proc/stat", encoding: .utf8),
            let line = stat.split(separator: "\n").first
        else { return 0 }
        let ticks = line.split(separator: " ").dropFirst().compactMap { Double($0) }
        guard ticks.count >= 8 else { return 0 }
        let busy = ticks[0] + ticks[1] + ticks[2] + ticks[5] + ticks[6] + ticks[7]
        return busy / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// utime + stime of a process from /proc/PID/stat (fields 14 and 15, in clock ticks).
    static func cpuSeconds(pid: Int32) -> Double {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return 0 }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // fields[0] is field 3 (state): utime is field 14, stime field 15.
        guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return 0 }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// Waits until the broker has nothing left to do for the run (when `untilQuiet`: no delivery pending or in
    /// flight, no receipt unconfirmed) and its transaction counter stands still, then reads the counters.
    /// The end of the timed part: takes the CPU times (the untimed checks afterwards are not counted).
    mutating func markEnd() {
        end = (
            Clocks.monotonicNanos(), Self.cpuSeconds(pid: brokerPid), Self.cpuSeconds(pid: getpid()),
            Self.machineCPUSeconds()
        )
    }

    func finish(messages: Int, untilQuiet: Bool, timeout: Duration) async throws -> IOCounts {
        let end =
            self.end
            ?? (
                Clocks.monotonicNanos(), Self.cpuSeconds(pid: brokerPid), Self.cpuSeconds(pid: getpid()),
                Self.machineCPUSeconds()
            )
        let deadline = ContinuousClock.now + timeout
        var last = try await BrokerStatus.fetch(endpoint: adminEndpoint)
        while true {
            try await Task.sleep(for: .milliseconds(250))
            let now = try await BrokerStatus.fetch(endpoint: adminEndpoint)
            let settled = now.storeTransactions == last.storeTransactions && (!untilQuiet || now.isQuiet)
            last = now
            if settled { break }
            guard ContinuousClock.now < deadline else {
                throw BenchError("the broker did not settle within \(timeout) after the run")
            }
        }
        var counts = IOCounts(
            brokerTransactions: last.storeTransactions - before.storeTransactions,
            brokerRows: last.storeRowsWritten - before.storeRowsWritten,
            nodeSyncs: SyncCounter.isActive ? SyncCounter.count - syncsBefore : nil, messages: messages)
        counts.brokerCPUSeconds = end.brokerCPU - brokerCPUBefore
        counts.nodesCPUSeconds = end.nodesCPU - nodesCPUBefore
        counts.wallSeconds = Double(end.nanos - startNanos) / 1e9
        counts.otherCPUSeconds = max(
            0, end.machineCPU - machineCPUBefore - counts.brokerCPUSeconds - counts.nodesCPUSeconds)
        return counts
    }
}
