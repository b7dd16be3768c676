import Foundation
import ReferralClient
import ReferralProtocol

/// The retention scenario's outcome: the broker's store file over time under a steady load whose bodies the broker
/// purges after a short period.
struct RetentionResult: Codable, Sendable {
    struct Sample: Codable, Sendable {
        var seconds: Double
        /// Messages accepted so far.
        var messages: Int
        /// Bytes of bodies accepted so far: about what the store would hold without purging.
        var bodyBytes: Int64
        /// `broker.sqlite` and `broker.sqlite-wal`, in bytes.
        var storeBytes: Int64
        var walBytes: Int64
        /// Bodies purged so far (summed from the `bodies-purged` audit records).
        var purged: Int
    }

    var rate: Double
    var durationSeconds: Double
    var bodyBytes: Int
    var retentionMs: Int
    var purgeIntervalMs: Int
    var samples: [Sample]

    func text() -> String {
        var out = "retention: 1 -> 1 at \(Int(rate)) msg/s for \(Int(durationSeconds)) s, bodies of \(bodyBytes) B, "
        out += "each message a case opened or closed; every period \(retentionMs) ms, a purge every "
        out += "\(purgeIntervalMs) ms\n"
        var rows = [["t (s)", "messages", "bodies sent (MiB)", "store (MiB)", "WAL (MiB)", "bodies purged"]]
        for sample in samples {
            rows.append([
                String(Int(sample.seconds.rounded())), String(sample.messages), Self.mib(sample.bodyBytes),
                Self.mib(sample.storeBytes), Self.mib(sample.walBytes), String(sample.purged),
            ])
        }
        let widths = rows[0].indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
        for row in rows {
            out += zip(row, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }.joined(
                separator: "  ")
            out += "\n"
        }
        return out
    }

    static func mib(_ bytes: Int64) -> String { String(format: "%.1f", Double(bytes) / 1_048_576) }
}

/// Open loop at `rate` messages a second from the fleet's one sender to its recipient (online, so every delivery
/// settles): message 2k opens case k (`referral.request`), message 2k+1 closes it (`referral.cancelled`, the
/// referrer withdraws), bodies of `bodySize` random bytes. Every `sampleEvery` seconds, the size of the broker's store
/// file and WAL, and the `bodies-purged` records of the audit trail since the last sample.
struct RetentionRun {
    var fleet: Fleet
    var bodySize: Int
    var rate: Double
    var duration: Double
    var sampleEvery: Double
    var retentionMs: Int
    var purgeIntervalMs: Int
    var daemon: Daemon

    func run() async throws -> RetentionResult {
        guard let pair = fleet.pairs.first else { throw BenchError("retention needs one sender") }
        let sender = pair.sender
        let from = sender.configuration.node
        let store = (daemon.directory as NSString).appendingPathComponent("broker/broker.sqlite")
        var generator = SystemRandomNumberGenerator()
        let body = (0..<bodySize).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let total = max(2, Int((rate * duration).rounded()))
        let start = Clocks.monotonicNanos()
        let startWall = Int64(Clocks.wallMillis())
        var auditSince = startWall
        var samples: [RetentionResult.Sample] = []
        var purged = 0
        var sent = 0
        var nextSample = sampleEvery
        while sent < total {
            let elapsed = Double(Clocks.monotonicNanos() - start) / 1e9
            if elapsed >= nextSample {
                purged += try await purgedSince(&auditSince)
                samples.append(sample(elapsed, messages: sent, purged: purged, store: store))
                nextSample += sampleEvery
            }
            let due = min(total, Int(elapsed * rate) + 1)
            if due <= sent {
                try await Clocks.sleep(untilMonotonic: start + UInt64(Double(sent) * 1e9 / rate))
                continue
            }
            let batch = (sent..<due).map { number in message(number, from: from, to: pair.recipientId, body: body) }
            try await sender.send(batch: batch)
            sent = due
        }
        // One more purge interval and a sample, so that the last period's bodies are seen going.
        try await Task.sleep(for: .milliseconds(purgeIntervalMs + 1_000))
        purged += try await purgedSince(&auditSince)
        samples.append(
            sample(Double(Clocks.monotonicNanos() - start) / 1e9, messages: sent, purged: purged, store: store))
        return RetentionResult(
            rate: rate, durationSeconds: duration, bodyBytes: bodySize, retentionMs: retentionMs,
            purgeIntervalMs: purgeIntervalMs, samples: samples)
    }

    func message(_ number: Int, from: String, to: String, body: [UInt8]) -> OutgoingMessage {
        var body = body
        withUnsafeBytes(of: UInt64(number).littleEndian) { bytes in
            for (index, byte) in bytes.enumerated() where index < body.count { body[index] = byte }
        }
        let caseId = String(format: "00000000-0000-4000-8000-%012x", number / 2)
        return OutgoingMessage(
            id: "\(from):\(number)", to: [to], kind: number % 2 == 0 ? "referral.request" : "referral.cancelled",
            caseId: caseId, priority: .routine, body: body, validatesBody: false)
    }

    func sample(_ seconds: Double, messages: Int, purged: Int, store: String) -> RetentionResult.Sample {
        func size(_ path: String) -> Int64 {
            ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.int64Value ?? 0
        }
        return RetentionResult.Sample(
            seconds: seconds, messages: messages, bodyBytes: Int64(messages) * Int64(bodySize),
            storeBytes: size(store), walBytes: size(store + "-wal"), purged: purged)
    }

    /// Bodies purged by the runs audited since `since` (ms); moves `since` past the newest record read.
    func purgedSince(_ since: inout Int64) async throws -> Int {
        let response = try await AdminConnection(endpoint: daemon.adminEndpoint).request(
            .auditExport(since: since, limit: nil))
        guard case .ok(.auditExport(let records)) = response else { throw BenchError("AUDIT-EXPORT failed") }
        var purged = 0
        for record in records where record.event == "bodies-purged" {
            for part in (record.detail ?? "").split(separator: " ") {
                let pair = part.split(separator: "=")
                if pair.count == 2, pair[0] != "operator", let count = Int(pair[1]) { purged += count }
            }
        }
        if let last = records.last { since = last.at + 1 }
        return purged
    }
}
