import AgencyDirectory
import BrokerStore
import CaseCore
import Foundation
import ReferralProtocol
import StoreModel

/// The outcome of the dashboard scenario (issue 10: pages load in under a second with 100,000 open cases).
struct DashboardResult: Codable, Sendable {
    /// One page, loaded `loads` times in a row with curl (a new connection each time, like a browser's reload).
    struct Page: Codable, Sendable {
        var path: String
        var status: Int
        var bytes: Int
        var loads: Int
        var medianMillis: Double
        var maxMillis: Double
    }

    var scenario = "dashboard"
    /// Open tracked cases, each with one open deadline, spread over every county of Fujian and the four risk
    /// levels; `overdue` of them escalated once (overdue, as OVERDUE counts them).
    var openCases: Int
    var overdue: Int
    var counties: Int
    var seedSeconds: Double
    var storeBytes: UInt64
    var readyAfterMillis: Double
    var pages: [Page]
}

/// Seeds the broker's store with `openCases` open referral cases while no daemon runs (as the deadlines scenario
/// does, through `BrokerStore`), starts referrald with its HTTP listener on a free loopback port, and times each
/// dashboard page with `curl`. The overdue deadlines are written already escalated (level 1, their next reminder a
/// month away), so they count as overdue without firing anything while the pages are timed.
struct DashboardRun {
    var directory: String
    var executable: String
    var openCases: Int
    /// Every `overdueEvery`-th case is overdue.
    var overdueEvery = 5
    var loads = 5
    var timeout: Int

    private var dataDirectory: String { (directory as NSString).appendingPathComponent("broker") }
    private var storePath: String { (dataDirectory as NSString).appendingPathComponent("broker.sqlite") }

    static let risks = ["crisis", "urgent", "routine", "urgent", "routine", "routine", "follow-up", "routine"]

    func run() async throws -> DashboardResult {
        try await RunningDaemon.scope(progress: progress) { try await run($0) }
    }

    private func run(_ running: RunningDaemon) async throws -> DashboardResult {
        let counties = try DivisionTable.fujian().codes(at: .county)
        progress("writing \(openCases) open cases over \(counties.count) counties, one in \(overdueEvery) overdue")
        let store = try BrokerStore(path: storePath)
        let seedSeconds = try seed(store, counties: counties)
        try store.close()
        let storeBytes = DeadlineSeed.storeBytes(dataDirectory: dataDirectory)

        let daemon = try await Daemon.start(
            executable: executable, directory: directory, nodes: DeadlineSeed.directory, logLevel: "warning",
            curve: false, readyTimeoutSeconds: timeout)
        running.daemon = daemon
        guard let http = httpAddress() else {
            throw BenchError("referrald wrote no HTTP address in its ready file (a referrald without the listener?)")
        }
        progress("referrald pid \(daemon.pid) ready after \(Int(daemon.readyAfterMillis)) ms, HTTP at \(http)")
        let paths = [
            "/dashboard", "/dashboard/overdue", "/dashboard/overdue?county=350102",
            "/dashboard/overdue?risk=crisis", "/dashboard/repair",
            "/dashboard/case/\(DeadlineSeed.caseId(overdueEvery))",
        ]
        var pages: [DashboardResult.Page] = []
        for path in paths {
            _ = try curl("http://\(http)\(path)")  // the first load warms SQLite's page cache
            var times: [Double] = []
            var last = (status: 0, bytes: 0, seconds: 0.0)
            for _ in 0..<loads {
                last = try curl("http://\(http)\(path)")
                times.append(last.seconds * 1000)
            }
            times.sort()
            let page = DashboardResult.Page(
                path: path, status: last.status, bytes: last.bytes, loads: loads, medianMillis: times[times.count / 2],
                maxMillis: times.last ?? 0)
            progress(
                "\(path): HTTP \(page.status), \(page.bytes) B, median "
                    + String(format: "%.1f ms, max %.1f ms", page.medianMillis, page.maxMillis))
            guard page.status == 200 else { throw BenchError("\(path) answered HTTP \(page.status)") }
            pages.append(page)
        }
        let status = await daemon.stop()
        running.daemon = nil
        if status != 0 { progress("referrald exited with \(status.map(String.init) ?? "SIGKILL")") }
        return DashboardResult(
            openCases: openCases, overdue: openCases / overdueEvery, counties: counties.count,
            seedSeconds: seedSeconds, storeBytes: storeBytes, readyAfterMillis: daemon.readyAfterMillis, pages: pages)
    }

    /// Case n: a school's referral request awaiting the clinic's answer, placed in county n mod the counties, of
    /// risk `risks[n mod 8]`; every `overdueEvery`-th one escalated once.
    private func seed(_ store: BrokerStore, counties: [String]) throws -> Double {
        let start = Clocks.monotonicNanos()
        let now = Int64(Clocks.wallMillis())
        let later = now + 30 * 86_400_000
        var next = 1
        while next <= openCases {
            let end = min(openCases + 1, next + 25_000)
            var units: [StoreUnit] = []
            units.reserveCapacity((end - next) * 2)
            for n in next..<end {
                let risk = Self.risks[n % Self.risks.count]
                let overdue = n % overdueEvery == 0
                var row = DeadlineSeed.row(n, due: later + Int64(n) * 1_000, now: now)
                (row.region, row.risk, row.level) = (counties[n % counties.count], risk, overdue ? 1 : 0)
                var record = DeadlineSeed.caseRow(n, now: now)
                record.risk = risk
                units.append(.putCase(record))
                units.append(.setDeadline(row))
            }
            _ = try store.run(units)
            next = end
        }
        return Double(Clocks.monotonicNanos() - start) / 1e9
    }

    /// The listener's address from the ready file (`http`: host:port).
    private func httpAddress() -> String? {
        let path = (directory as NSString).appendingPathComponent("ready.json")
        guard let data = FileManager.default.contents(atPath: path),
            let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        else { return nil }
        return object["http"] as? String
    }

    /// `curl -w`: the status, the body's size and the whole transfer's time (connect to last byte).
    private func curl(_ url: String) throws -> (status: Int, bytes: Int, seconds: Double) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            "curl", "-s", "-o", "/dev/null", "--max-time", "\(timeout)", "-w",
            "%{http_code} %{size_download} %{time_total}",
            url,
        ]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        let fields = output.split(separator: " ")
        guard process.terminationStatus == 0, fields.count == 3, let status = Int(fields[0]),
            let bytes = Int(fields[1]), let seconds = Double(fields[2])
        else { throw BenchError("curl \(url) failed (exit \(process.terminationStatus)): \(output)") }
        return (status, bytes, seconds)
    }

    private func progress(_ line: String) { printError("referral-bench: dashboard: \(line)") }
}
