import BrokerStore
import Foundation
import ReferralClient
import ReferralProtocol

/// The outcome of the deadlines scenario (issue 4: firing lag with many open deadlines, memory, restart time).
struct DeadlineResult: Codable, Sendable {
    var scenario = "deadlines"
    /// Open deadlines due far in the future (`openDueDays` days and later, one a second), present the whole run.
    var openDeadlines: Int
    var openDueDays: Int
    /// Each deadline's case row was written too (the daemon loads all cases at start).
    var caseRows: Bool
    /// Deadlines that fall due during the measurement, spread evenly over `firingSpreadSeconds` starting
    /// `firingLeadSeconds` after they were written; each fires one escalation notice to the online county bureau.
    var firingDeadlines: Int
    var firingLeadSeconds: Double
    var firingSpreadSeconds: Double
    /// Time to write all open + firing deadlines into the store (through `BrokerStore.apply`, 25,000 rows per
    /// transaction), and the store's size on disk afterwards (database + WAL).
    var seedSeconds: Double
    var storeBytes: UInt64
    /// Start-up with the open deadlines in the store: spawn -> ready file, spawn -> first admin STATUS reply.
    var readyAfterMillis: Double
    var statusAfterMillis: Double
    /// The broker was ready only after the first firing deadline was due (its lag then includes start-up).
    var startedLate: Bool
    /// The broker's memory once started and the bureau connected (before any deadline fell due), and after the
    /// firing phase (all notices delivered).
    var memoryAfterStart: ProcessMemory?
    var memoryAfterFiring: ProcessMemory?
    /// Due time -> the broker fired the deadline (the notice's `accepted_at`, stamped by the poll thread when it
    /// fired; whole ms).
    var fireLag: LatencySummary
    /// Due time -> the notice was committed to the bureau's inbox (the node's `received_at`, stamped when its
    /// connection thread read the DELIVER, just before the inbox commit; whole ms).
    var inboxLag: LatencySummary
    /// Notices received for the firing deadlines, and what was wrong: none missing, none twice, nothing else.
    var fired: Int
    var missing: Int
    var duplicates: Int
    var unexpected: Int
    /// Open deadlines in the store after the run (must equal `openDeadlines`: every firing one was closed).
    var openAfter: Int
    /// CPU the broker and every other process used during the firing window (first due -> last due + 1 s).
    var brokerCores: Double
    var otherCores: Double
    /// Broker store transactions (one fsync each) and rows written in the firing window (admin STATUS).
    var brokerTransactions: Int
    var brokerRows: Int
    /// Reply time of an admin OVERDUE request (`referralctl overdue`) after the firing phase, when nothing is
    /// overdue: without a filter, and with a region filter (`3501`). Runs on the broker's store thread.
    var overdueMillis: Double
    var overdueRegionMillis: Double
    /// SIGTERM -> exit of the broker after the firing phase.
    var stopMillis: Double
    var catchUp: CatchUpResult?
}

/// Deadlines that fell due while the broker was down, fired after a restart.
struct CatchUpResult: Codable, Sendable {
    var deadlines: Int
    /// They were due between these many seconds before the restart.
    var overdueSecondsMin: Double
    var overdueSecondsMax: Double
    var readyAfterMillis: Double
    var statusAfterMillis: Double
    /// Spawn -> the last of them fired (the last notice's `accepted_at`) and -> the last notice was in the
    /// bureau's inbox (the bureau connects as soon as the broker is ready).
    var allFiredAfterMillis: Double
    var allDeliveredAfterMillis: Double
    /// deadlines / (spawn -> last fired), notices per second (start-up included).
    var firedPerSecond: Double
    var memoryAfter: ProcessMemory?
    var missing: Int
    var duplicates: Int
    var unexpected: Int
    var openAfter: Int
}

/// Writes the broker's store before starting it (`DeadlineSeed`): `openDeadlines` deadlines due in
/// `openDueDays` days and more, plus `firingDeadlines` due over `spread` seconds from `lead` seconds after the
/// writing; starts the real referrald on it, connects the county bureau (a real `ReferralNode`), and takes every
/// escalation notice out of the bureau's inbox after the firing window, mapping each to its deadline's exact due
/// time by the notice id. Then, optionally, stops the broker, writes `catchUpDeadlines` already overdue, restarts
/// it and times how long it takes to fire and deliver them all.
struct DeadlineRun {
    var directory: String
    var executable: String
    var openDeadlines: Int
    var openDueDays: Int
    var firingDeadlines: Int
    var lead: Double
    var spread: Double
    var catchUpDeadlines: Int
    /// Write a case row per deadline (as the daemon does): the daemon loads every case at start.
    var withCases: Bool
    var window: Int
    var timeout: Int
    /// Over CURVE (`--curve`): the bureau connects with its own key pair.
    var curve: Bool

    private var dataDirectory: String { (directory as NSString).appendingPathComponent("broker") }
    private var storePath: String { (dataDirectory as NSString).appendingPathComponent("broker.sqlite") }
    var nodeStore: String {
        (directory as NSString).appendingPathComponent("nodes/\(DeadlineSeed.bureau).sqlite")
    }

    /// One notice as the bureau's inbox holds it.
    private struct Notice {
        var number: Int
        var acceptedAt: Int64
        var receivedAt: Int64
    }

    private struct Drained {
        var notices: [Notice] = []
        var duplicates = 0
        var unexpected = 0
        var missing = 0
    }

    func run() async throws -> DeadlineResult {
        try await RunningDaemon.scope(progress: progress) { try await run($0) }
    }

    private func run(_ running: RunningDaemon) async throws -> DeadlineResult {
        let firstFiring = openDeadlines + 1
        let firing = firstFiring..<(firstFiring + firingDeadlines)

        // 1. The store, written while no daemon runs.
        var store: BrokerStore? = try BrokerStore(path: storePath)
        defer { try? store?.close() }
        let farBase = Int64(Clocks.wallMillis()) + Int64(openDueDays) * 86_400_000
        progress(
            "writing \(openDeadlines) open deadlines due in \(openDueDays) days and more"
                + (withCases ? ", each with its case" : ", no case rows"))
        let seedStore = store!
        var seedSeconds = try await onThread("referral-bench seed") {
            try DeadlineSeed.insert(
                into: seedStore, numbers: 1..<firstFiring, withCases: withCases, due: { farBase + Int64($0) * 1_000 },
                progress: { printError("referral-bench: deadlines:   \($0) written") })
        }
        let firingStart = Int64(Clocks.wallMillis() + lead * 1000)
        let spreadMs = spread * 1000
        var dueOf: [Int: Int64] = [:]
        for (index, n) in firing.enumerated() {
            dueOf[n] = firingStart + Int64(Double(index) * spreadMs / Double(max(firingDeadlines, 1)))
        }
        seedSeconds += try DeadlineSeed.insert(into: store!, numbers: firing, withCases: withCases, due: { dueOf[$0]! })
        let lastDue = dueOf.values.max() ?? firingStart
        try store!.close()
        store = nil
        let storeBytes = DeadlineSeed.storeBytes(dataDirectory: dataDirectory)
        progress(
            "wrote \(openDeadlines + firingDeadlines) deadlines in \(String(format: "%.1f", seedSeconds)) s, store "
                + "\(String(format: "%.1f", Double(storeBytes) / 1_048_576)) MiB; \(firingDeadlines) fall due from "
                + "\(String(format: "%.1f", Double(firingStart) - Clocks.wallMillis()))ms from now over \(spread) s")

        // 2. Start-up with them, memory, firing.
        var daemon = try await startDaemon()
        running.daemon = daemon
        let statusAfter = try await statusAfterSpawn(daemon)
        let startedLate = daemon.spawnedAtWallMillis + daemon.readyAfterMillis > Double(firingStart)
        progress(
            "referrald pid \(daemon.pid) ready after \(String(format: "%.0f", daemon.readyAfterMillis)) ms, "
                + "STATUS after \(String(format: "%.0f", statusAfter)) ms"
                + (startedLate ? " (AFTER the first deadline was due)" : ""))

        var node = try await connectBureau(to: daemon)
        let memoryAfterStart = ProcessMemory.read(pid: daemon.pid)
        progress("broker memory after start: \(memoryAfterStart?.text ?? "n/a")")

        try await sleep(untilWall: Double(firingStart))
        let statusStart = try await BrokerStatus.fetch(endpoint: daemon.adminEndpoint)
        let cpuStart = (
            broker: IOProbe.cpuSeconds(pid: daemon.pid), machine: IOProbe.machineCPUSeconds(),
            bench: IOProbe.cpuSeconds(pid: getpid()), nanos: Clocks.monotonicNanos()
        )
        try await sleep(untilWall: Double(lastDue) + 1_000)
        let cpuEnd = (
            broker: IOProbe.cpuSeconds(pid: daemon.pid), machine: IOProbe.machineCPUSeconds(),
            bench: IOProbe.cpuSeconds(pid: getpid()), nanos: Clocks.monotonicNanos()
        )
        let statusEnd = try await BrokerStatus.fetch(endpoint: daemon.adminEndpoint)
        let drained = try await drain(node, expected: Set(firing), timeoutSeconds: Double(timeout))
        let memoryAfterFiring = ProcessMemory.read(pid: daemon.pid)
        // What an operator's `referralctl overdue` costs with this many open deadlines (the fired ones are overdue).
        let overdueMillis = try await timeAdmin(daemon, .overdue(AdminRequest.OverdueFilter()))
        let overdueRegionMillis = try await timeAdmin(daemon, .overdue(AdminRequest.OverdueFilter(region: "3501")))
        progress(
            "admin OVERDUE answered in \(String(format: "%.0f", overdueMillis)) ms, with a region filter in "
                + "\(String(format: "%.0f", overdueRegionMillis)) ms")
        await node.shutdown()
        let stopStart = Clocks.monotonicNanos()
        let status = await daemon.stop()
        let stopMillis = Double(Clocks.monotonicNanos() - stopStart) / 1e6
        running.daemon = nil
        if status != 0 { progress("referrald exited with \(status.map(String.init) ?? "SIGKILL")") }

        var fireLag: [Double] = []
        var inboxLag: [Double] = []
        for notice in drained.notices {
            let due = Double(dueOf[notice.number]!)
            fireLag.append(Double(notice.acceptedAt) - due)
            inboxLag.append(Double(notice.receivedAt) - due)
        }
        store = try BrokerStore(path: storePath)
        let openAfter = try store!.openDeadlineCount()
        let wall = Double(cpuEnd.nanos - cpuStart.nanos) / 1e9
        let brokerCPU = cpuEnd.broker - cpuStart.broker
        let benchCPU = cpuEnd.bench - cpuStart.bench
        guard let fireSummary = LatencySummary(fireLag), let inboxSummary = LatencySummary(inboxLag) else {
            throw BenchError("no escalation notice arrived (\(drained.missing) missing)")
        }
        var result = DeadlineResult(
            openDeadlines: openDeadlines, openDueDays: openDueDays, caseRows: withCases,
            firingDeadlines: firingDeadlines,
            firingLeadSeconds: lead, firingSpreadSeconds: spread, seedSeconds: seedSeconds, storeBytes: storeBytes,
            readyAfterMillis: daemon.readyAfterMillis, statusAfterMillis: statusAfter, startedLate: startedLate,
            memoryAfterStart: memoryAfterStart, memoryAfterFiring: memoryAfterFiring, fireLag: fireSummary,
            inboxLag: inboxSummary, fired: drained.notices.count, missing: drained.missing,
            duplicates: drained.duplicates, unexpected: drained.unexpected, openAfter: openAfter,
            brokerCores: brokerCPU / wall,
            otherCores: max(0, cpuEnd.machine - cpuStart.machine - brokerCPU - benchCPU) / wall,
            brokerTransactions: statusEnd.storeTransactions - statusStart.storeTransactions,
            brokerRows: statusEnd.storeRowsWritten - statusStart.storeRowsWritten, overdueMillis: overdueMillis,
            overdueRegionMillis: overdueRegionMillis, stopMillis: stopMillis)
        progress(
            "firing: \(drained.notices.count) of \(firingDeadlines) notices, lag p50 \(fireSummary.p50) ms p99 "
                + "\(fireSummary.p99) ms (fired), p99 \(inboxSummary.p99) ms (in the inbox); open after: \(openAfter)")

        // 3. Catch-up after a restart: deadlines that fell due while the broker was down.
        if catchUpDeadlines > 0 {
            let first = firing.upperBound
            let numbers = first..<(first + catchUpDeadlines)
            let now = Int64(Clocks.wallMillis())
            // Due between 60 s and 10 s ago, evenly.
            let dueOfCatchUp: (Int) -> Int64 = { n in
                now - 60_000 + Int64(Double(n - first) * 50_000 / Double(catchUpDeadlines))
            }
            try DeadlineSeed.insert(
                into: store!, numbers: numbers, withCases: withCases, due: dueOfCatchUp)
            try store!.close()
            store = nil
            progress("wrote \(catchUpDeadlines) deadlines due 60-10 s ago; restarting referrald")
            daemon = try await startDaemon()
            running.daemon = daemon
            let restartedAt = Clocks.wallMillis()
            let overdueMin = (restartedAt - Double(dueOfCatchUp(numbers.upperBound - 1))) / 1000
            let overdueMax = (restartedAt - Double(dueOfCatchUp(first))) / 1000
            let statusAfter = try await statusAfterSpawn(daemon)
            node = try await connectBureau(to: daemon)
            let drained = try await drain(node, expected: Set(numbers), timeoutSeconds: Double(timeout))
            let memoryAfter = ProcessMemory.read(pid: daemon.pid)
            await node.shutdown()
            let status = await daemon.stop()
            running.daemon = nil
            if status != 0 { progress("referrald exited with \(status.map(String.init) ?? "SIGKILL")") }
            store = try BrokerStore(path: storePath)
            let openAfter = try store!.openDeadlineCount()
            let lastFired = Double(drained.notices.map(\.acceptedAt).max() ?? 0)
            let lastDelivered = Double(drained.notices.map(\.receivedAt).max() ?? 0)
            result.catchUp = CatchUpResult(
                deadlines: catchUpDeadlines, overdueSecondsMin: overdueMin, overdueSecondsMax: overdueMax,
                readyAfterMillis: daemon.readyAfterMillis, statusAfterMillis: statusAfter,
                allFiredAfterMillis: lastFired - daemon.spawnedAtWallMillis,
                allDeliveredAfterMillis: lastDelivered - daemon.spawnedAtWallMillis,
                firedPerSecond: Double(drained.notices.count)
                    / max(0.001, (lastFired - daemon.spawnedAtWallMillis) / 1000),
                memoryAfter: memoryAfter, missing: drained.missing, duplicates: drained.duplicates,
                unexpected: drained.unexpected, openAfter: openAfter)
            progress(
                "catch-up: \(drained.notices.count) of \(catchUpDeadlines) fired "
                    + "\(String(format: "%.0f", lastFired - daemon.spawnedAtWallMillis)) ms after the spawn; "
                    + "open after: \(openAfter)")
        }
        try store?.close()
        store = nil

        // Exactly once, none lost: the run fails otherwise. A fired deadline stays open for its next step (an
        // unanswered item is escalated, then reminded, until it is met: 1/RBP §7.3), so each one fired adds one.
        var problems: [String] = []
        let openAfterFiring = openDeadlines + firingDeadlines
        if result.missing > 0 || result.duplicates > 0 || result.unexpected > 0 || result.openAfter != openAfterFiring {
            problems.append(
                "firing: \(result.missing) missing, \(result.duplicates) twice, \(result.unexpected) unexpected, "
                    + "\(result.openAfter) open after (expected \(openAfterFiring))")
        }
        if let catchUp = result.catchUp,
            catchUp.missing > 0 || catchUp.duplicates > 0 || catchUp.unexpected > 0
                || catchUp.openAfter != openAfterFiring + catchUpDeadlines
        {
            problems.append(
                "catch-up: \(catchUp.missing) missing, \(catchUp.duplicates) twice, \(catchUp.unexpected) unexpected, "
                    + "\(catchUp.openAfter) open after (expected \(openAfterFiring + catchUpDeadlines))")
        }
        guard problems.isEmpty else {
            throw BenchError("deadlines: " + problems.joined(separator: "; ") + "\n" + result.summaryLine)
        }
        return result
    }

    /// Takes every message out of the bureau's inbox (`nextMessage`, `complete`) until each of `expected` has come
    /// (or `timeoutSeconds` passed without the next one), then waits one more second for anything else.
    private func drain(_ node: ReferralNode, expected: Set<Int>, timeoutSeconds: Double) async throws -> Drained {
        var result = Drained()
        var seen: Set<Int> = []
        var waitSeconds = timeoutSeconds
        while true {
            if seen.count == expected.count { waitSeconds = 1 }
            guard let message = try await node.nextMessage(timeout: .milliseconds(Int(waitSeconds * 1000))) else {
                break
            }
            try await node.complete(message)
            guard message.kind == "escalation.notice", message.from == "referrald",
                let number = DeadlineSeed.number(ofNotice: message.id), expected.contains(number),
                Self.overdueMessageId(message.body) == DeadlineSeed.messageId(number)
            else {
                result.unexpected += 1
                continue
            }
            guard seen.insert(number).inserted else {
                result.duplicates += 1
                continue
            }
            result.notices.append(
                Notice(number: number, acceptedAt: message.acceptedAt, receivedAt: message.receivedAt))
        }
        result.missing = expected.count - seen.count
        return result
    }

    /// `overdue.message.id` of an escalation notice's body.
    private static func overdueMessageId(_ body: [UInt8]) -> String? {
        (try? JSONReader.parse(body, maxDepth: 8))?["overdue"]?["message"]?["id"]?.stringValue
    }

    private func sleep(untilWall wall: Double) async throws {
        let delta = wall - Clocks.wallMillis()
        if delta > 0 { try await Task.sleep(for: .milliseconds(Int(delta.rounded(.up)))) }
    }

    private func progress(_ line: String) {
        printError("referral-bench: deadlines: " + line)
    }
}

extension DeadlineResult {
    var summaryLine: String {
        "fired \(fired) of \(firingDeadlines), missing \(missing), twice \(duplicates), unexpected \(unexpected), "
            + "open after \(openAfter)"
    }
}
