import ReferralClient
import Synchronization

/// The outcome of the fixed-rate latency scenario.
struct LatencyResult: Codable, Sendable {
    var scenario: String
    var topology: String
    var offeredRate: Double
    /// Messages offered over the time the pacer needed (below `offeredRate` if sending fell behind).
    var achievedRate: Double
    var durationSeconds: Double
    var messages: Int
    var bodyBytes: Int
    /// Average messages per `send(batch:)` call (all that were due when the previous call returned).
    var averageBatch: Double
    /// Every message: scheduled send time -> its ACCEPTED was read by the sender's connection thread (the
    /// outbox entry's `answeredAt` stamp, whole milliseconds).
    var accept: LatencySummary
    /// Every message: scheduled send time -> the broker processed the recipient's ACK, i.e. the message is in
    /// the recipient's inbox and acknowledged (the receipt's `at` stamp, whole milliseconds).
    var endToEnd: LatencySummary
    /// Every `sampleEvery`-th message, as an application sees it: scheduled send time -> `outcome(of:)` returned.
    var acceptObserved: LatencySummary
    /// The same sample: scheduled send time -> `waitForReceipts` returned (the receipt is stored at the sender).
    var receiptObserved: LatencySummary
    var sampleEvery: Int
    var io: IOCounts
}

/// Open-loop pacing: message k is due at start + k / rate, whatever happened to the earlier ones. A pacer thread
/// sends all messages due so far in one `send(batch:)` (a local commit takes one fsync, so one message per call
/// could not keep up with 1,000/s), then sleeps until the next one is due. Latencies are measured from each
/// message's scheduled time, so time spent waiting behind a slow commit counts (no coordinated omission).
///
/// The figures for every message come from the stamps the sender and the broker store anyway; only every
/// `sampleEvery`-th message is also awaited through the API (`outcome(of:)`, `waitForReceipts`), because each of
/// those waits costs several reads of the sender's store, and awaiting all 1,000 messages a second would load
/// the 2-core machine more than the traffic being measured.
struct LatencyRun {
    var fleet: Fleet
    var workload: Workload
    var rate: Double
    var duration: Double
    var timeout: Duration
    var adminEndpoint: String
    var brokerPid: Int32
    var sampleEvery = 10

    private struct Observed: Sendable {
        var accept: Double
        var receipt: Double
    }

    private final class Collector: Sendable {
        let observed = Mutex<[Observed]>([])
        let tasks = Mutex<[Task<Void, any Error>]>([])
    }

    func run() async throws -> LatencyResult {
        guard let pair = fleet.pairs.first else { throw BenchError("latency needs one sender") }
        let sender = pair.sender
        let total = max(1, Int((rate * duration).rounded()))
        let messages = workload.messages(from: sender.configuration.node, to: pair.recipientId, count: total)
        var probe = try await IOProbe.start(adminEndpoint: adminEndpoint, brokerPid: brokerPid)
        let collector = Collector()
        let (rate, timeout, sampleEvery) = (self.rate, self.timeout, self.sampleEvery)

        let startNanos = Clocks.monotonicNanos()
        let startWall = Clocks.wallMillis()
        // `send(batch:)` is awaited: its commit runs on the node store's queue, not on the cooperative pool.
        let pace = { () async throws -> (Int, UInt64) in
            var next = 0
            var calls = 0
            while next < total {
                let elapsed = Double(Clocks.monotonicNanos() - startNanos)
                let due = min(total, Int(elapsed * rate / 1e9) + 1)
                if due <= next {
                    try await Clocks.sleep(untilMonotonic: startNanos + UInt64(Double(next) * 1e9 / rate))
                    continue
                }
                try await sender.send(batch: Array(messages[next..<due]))
                calls += 1
                for number in next..<due where number % sampleEvery == 0 {
                    let id = messages[number].id
                    let scheduled = startNanos + UInt64(Double(number) * 1e9 / rate)
                    let task = Task {
                        let outcome = try await sender.outcome(of: id, timeout: timeout)
                        let accepted = Clocks.monotonicNanos()
                        guard case .accepted = outcome else { throw BenchError("\(id) was refused: \(outcome)") }
                        _ = try await sender.waitForReceipts(of: id, count: 1, timeout: timeout)
                        let received = Clocks.monotonicNanos()
                        let sample = Observed(
                            accept: Double(accepted - scheduled) / 1e6, receipt: Double(received - scheduled) / 1e6)
                        collector.observed.withLock { $0.append(sample) }
                    }
                    collector.tasks.withLock { $0.append(task) }
                }
                next = due
            }
            return (calls, Clocks.monotonicNanos())
        }
        let (calls, pacedNanos) = try await pace()
        for task in collector.tasks.withLock({ $0 }) { try await task.value }
        _ = try await sender.waitForReceipts(of: messages[total - 1].id, count: 1, timeout: timeout)
        probe.markEnd()

        // Untimed: the stamps of every message.
        var accept: [Double] = []
        var endToEnd: [Double] = []
        accept.reserveCapacity(total)
        endToEnd.reserveCapacity(total)
        for (number, message) in messages.enumerated() {
            let scheduledWall = startWall + Double(number) * 1000 / rate
            guard let entry = try sender.outboxEntry(id: message.id), entry.state == .accepted,
                let answeredAt = entry.answeredAt
            else { throw BenchError("\(message.id) is not accepted") }
            var receipts = try sender.receipts(for: message.id)
            if receipts.isEmpty {
                receipts = try await sender.waitForReceipts(of: message.id, count: 1, timeout: timeout)
            }
            guard let receipt = receipts.first, receipt.delivered else {
                throw BenchError("\(message.id) was not delivered: \(receipts.first?.reason ?? "no receipt")")
            }
            accept.append(Double(answeredAt) - scheduledWall)
            endToEnd.append(Double(receipt.at) - scheduledWall)
        }
        let io = try await probe.finish(messages: total, untilQuiet: true, timeout: timeout)

        let observed = collector.observed.withLock { $0 }
        guard let acceptSummary = LatencySummary(accept), let endToEndSummary = LatencySummary(endToEnd),
            let acceptObserved = LatencySummary(observed.map(\.accept)),
            let receiptObserved = LatencySummary(observed.map(\.receipt))
        else { throw BenchError("no latency samples") }
        // The schedule spans total / rate; the pacer took longer if its commits fell behind.
        let paced = max(Double(pacedNanos - startNanos) / 1e9, Double(total) / rate)
        return LatencyResult(
            scenario: "latency", topology: "1 -> 1", offeredRate: rate, achievedRate: Double(total) / paced,
            durationSeconds: duration, messages: total, bodyBytes: workload.bodySize,
            averageBatch: Double(total) / Double(max(calls, 1)), accept: acceptSummary, endToEnd: endToEndSummary,
            acceptObserved: acceptObserved, receiptObserved: receiptObserved, sampleEvery: sampleEvery, io: io)
    }
}
