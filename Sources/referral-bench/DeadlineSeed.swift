import BrokerStore
import CaseCore
import Foundation

/// Writes open deadlines straight into the broker's store (`DATA/broker.sqlite`) while the daemon is down, through
/// the same `BrokerStore` API and migrations the daemon uses, in rows exactly as the daemon writes them when a
/// tracked `referral.request` is accepted (`Broker/Engine/Escalation.swift`, `DeadlineRows`):
///
/// - `item`: `answer:bench-clinic:referral.accepted,referral.declined,referral.received` (`Awaited.encoded`): the
///   school's referral request waits for the clinic's answer;
/// - `policy`: `v1;referral.request;<n>;bench-school;bench-school:ref-<n>;<due>;<PolicySnapshot.encoded>` with a
///   snapshot of max_steps 1 (one notice within a run: the reminder to the same level is an hour later) and a
///   continuous clock;
/// - a case id of its own per deadline (a made-up UUID built from n), region 350102, agency health, risk routine;
///   unless `--no-cases`, the case row too (`requested`, school -> clinic), as every tracked request has one.
///
/// `n` (the "armed-by seq") is unique per deadline, so the notice a deadline fires into has a message id of its
/// own, `esc:<n>:a:bench-clinic:0` (`EscalationNotice.id` = `esc:` + `Deadline.id`): the bench maps each notice
/// back to its deadline's exact due time by that id. The clinic has no health supervisor in the bench's
/// directory, so the notice climbs the referring school's education chain: the county bureau `bench-bureau`.
enum DeadlineSeed {
    static let school = "bench-school"
    static let clinic = "bench-clinic"
    static let bureau = "bench-bureau"
    static let kind = "referral.request"

    /// The directory of the scenario (division codes as in the integration tests: a Gulou school, its county).
    static let directory: [DaemonConfig.Node] = [
        DaemonConfig.Node(id: school, agency: "education", kind: "school", division: "350102001"),
        DaemonConfig.Node(id: clinic, agency: "health", kind: "child-psychology-clinic", division: "350102"),
        DaemonConfig.Node(id: bureau, agency: "education", kind: "county-bureau", division: "350102"),
    ]

    static let snapshot = PolicySnapshot(
        id: "bench/referral.request/routine", repeatMs: 3_600_000, maxSteps: 1, clock: .continuous, fanOut: false)
    static let item = Awaited.answer(kinds: Answers.table[kind] ?? [], from: clinic).encoded

    static func caseId(_ n: Int) -> String { String(format: "00000000-0000-4000-8000-%012x", n) }
    static func messageId(_ n: Int) -> String { "\(school):ref-\(n)" }

    /// The message id of the escalation notice the deadline numbered `n` fires into.
    static func noticeId(_ n: Int) -> String { "esc:\(n):a:\(clinic):0" }

    /// The deadline number of a notice id made by `noticeId(_:)`, nil for any other id.
    static func number(ofNotice id: String) -> Int? {
        let parts = id.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 5, parts[0] == "esc", parts[2] == "a", parts[3] == Substring(clinic), parts[4] == "0"
        else { return nil }
        return Int(parts[1])
    }

    static func row(_ n: Int, due: Int64, now: Int64) -> NewDeadline {
        NewDeadline(
            caseId: caseId(n), item: .text(item), dueAt: due, level: 0,
            notice: DeadlineNotice(
                kind: kind, armedBy: Int64(n), sender: school, messageId: messageId(n), originalDue: due),
            policy: snapshot.encoded, createdAt: now, region: "350102", agency: "health", risk: "routine")
    }

    /// The case of deadline `n` as the daemon stores it once the school's request is accepted: `requested`,
    /// referred by the school to the clinic (the daemon loads every case row into memory at start).
    static func caseRow(_ n: Int, now: Int64) -> CaseRecord {
        CaseRecord(
            caseId: caseId(n), status: "requested", referrer: school, service: clinic, attempt: 1, openedAt: now,
            updatedAt: now, risk: "routine")
    }

    /// Inserts the deadlines numbered `numbers`, due at `due(n)` (with `withCases`, each with its case row), in
    /// transactions of `batch` deadlines (one fsync each). Calls `progress` with the deadlines written so far at most
    /// every 5 s. Returns the seconds it took.
    @discardableResult
    static func insert(
        into store: BrokerStore, numbers: Range<Int>, withCases: Bool, batch: Int = 25_000, due: (Int) -> Int64,
        progress: ((Int) -> Void)? = nil
    ) throws -> Double {
        let start = Clocks.monotonicNanos()
        var reported = start
        var next = numbers.lowerBound
        while next < numbers.upperBound {
            let end = min(numbers.upperBound, next + batch)
            let now = Int64(Clocks.wallMillis())
            var units: [StoreUnit] = []
            units.reserveCapacity((end - next) * (withCases ? 2 : 1))
            for n in next..<end {
                if withCases { units.append(.putCase(caseRow(n, now: now))) }
                units.append(.setDeadline(row(n, due: due(n), now: now)))
            }
            _ = try store.run(units)
            next = end
            if Clocks.monotonicNanos() - reported > 5_000_000_000 {
                reported = Clocks.monotonicNanos()
                progress?(next - numbers.lowerBound)
            }
        }
        return Double(Clocks.monotonicNanos() - start) / 1e9
    }

    /// Bytes of the store's files (database, WAL, shared memory) in `dataDirectory`.
    static func storeBytes(dataDirectory: String) -> UInt64 {
        ["broker.sqlite", "broker.sqlite-wal", "broker.sqlite-shm"].reduce(0) { total, name in
            let path = (dataDirectory as NSString).appendingPathComponent(name)
            let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.uint64Value
            return total + (size ?? 0)
        }
    }
}

/// Memory of a process from /proc/PID/status (KiB).
struct ProcessMemory: Codable, Sendable {
    /// Resident set size now.
    var rssKiB: Int
    /// Peak resident set size since the process started ("high water mark").
    var peakKiB: Int

    enum CodingKeys: String, CodingKey {
        case rssKiB = "vm_rss_kib"
        case peakKiB = "vm_hwm_kib"
    }

    static func read(pid: Int32) -> ProcessMemory? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        func field(_ name: String) -> Int? {
            guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix(name + ":") }) else {
                return nil
            }
            return line.split(separator: " ").compactMap { Int($0) }.first
        }
        guard let rss = field("VmRSS"), let peak = field("VmHWM") else { return nil }
        return ProcessMemory(rssKiB: rss, peakKiB: peak)
    }

    var text: String { "RSS \(Self.mib(rssKiB)) MiB (peak \(Self.mib(peakKiB)) MiB)" }

    static func mib(_ kib: Int) -> String { String(format: "%.1f", Double(kib) / 1024) }
}
