import BrokerStore
import Foundation
import Testing

/// Many open deadlines: the window query reads only the earliest rows of the open-deadline index.
@Suite struct DeadlineScaleTests {
    // 200k here: about 4 s in a debug build on 2 cores. 1M, measured once on the same machine: insert 23 s (debug)
    // or 13-14 s (release) in 100 commits of 10k, window of 1000 in 4-8 ms, reopen + first window 5-10 ms,
    // 158 MiB file, peak RSS 47 MB (release executable) / 62 MB (test process).
    static let count = 200_000
    static let batch = 10_000

    @Test(.timeLimit(.minutes(1))) func earliestWindowOfManyOpenDeadlines() throws {
        try withTempDirectory { dir in
            let path = dir + "/broker.sqlite"
            let clock = ContinuousClock()
            let n = Self.count
            let base: Int64 = 1_700_000_000_000
            // due = base + p(i) seconds, p a permutation of 0..<n (7919 is prime and divides no n used here), so
            // rows arrive in random due order and the earliest k are p = 0..<k.
            func due(_ i: Int) -> Int64 { base + Int64((i &* 7_919) % n) * 1_000 }

            let store = try BrokerStore(path: path)
            let insertStart = clock.now
            var ops: [StoreUnit] = []
            ops.reserveCapacity(Self.batch)
            for start in stride(from: 0, to: n, by: Self.batch) {
                ops.removeAll(keepingCapacity: true)
                for i in start..<min(start + Self.batch, n) {
                    ops.append(
                        .setDeadline(
                            NewDeadline(
                                caseId: "case-\(i / 2)",
                                item: .text(i % 2 == 0 ? "answer:referral.request" : "followup:1"),
                                dueAt: due(i), level: 0, notice: testNotice(), policy: "steps=1440,2880;chain=civil",
                                createdAt: base,
                                region: "350102001", agency: "village-director-\(i % 97)", risk: "routine")))
                }
                _ = try store.run(ops)
            }
            let insertTime = clock.now - insertStart

            let queryStart = clock.now
            let window = try store.dueDeadlines(before: .max, limit: 1_000)
            let queryTime = clock.now - queryStart
            #expect(window.map(\.dueAt) == (0..<1_000).map { base + Int64($0) * 1_000 })
            #expect(try store.openDeadlineCount() == n)
            #expect(try store.nextDueAt() == base)
            // A window bounded by time is just as cheap.
            #expect(try store.dueDeadlines(before: base + 10_000, limit: 1_000).count == 10)
            #expect(queryTime < .seconds(1))
            try store.close()

            // Restart: open + first window.
            let reopenStart = clock.now
            let reopened = try BrokerStore(path: path)
            defer { try? reopened.close() }
            let firstWindow = try reopened.dueDeadlines(before: .max, limit: 1_000)
            let reopenTime = clock.now - reopenStart
            #expect(firstWindow == window)

            let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? -1
            print(
                "deadline scale: \(n) open, insert \(insertTime), window(1000) \(queryTime), reopen+window \(reopenTime),"
                    + " file \(size / 1_048_576) MiB, peak RSS \(peakRSS())")
        }
    }
}

/// VmHWM of this process (Linux), for the printout.
private func peakRSS() -> String {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return "?" }
    return status.split(separator: "\n").first { $0.hasPrefix("VmHWM:") }
        .map { $0.dropFirst(6).trimmingCharacters(in: .whitespaces) } ?? "?"
}
