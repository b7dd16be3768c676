import ReferralClient

/// The outcome of one throughput scenario.
struct ThroughputResult: Codable, Sendable {
    var scenario: String
    /// e.g. "1 -> 1" or "20 -> 20 (sender i -> recipient i)"; "recipient offline" for accept-only.
    var topology: String
    var messages: Int
    var bodyBytes: Int
    var batchSize: Int
    /// First `send(batch:)` until the last one returned: everything committed to the local outboxes.
    var enqueueSeconds: Double
    /// First `send(batch:)` until the last ACCEPTED reached its sender (the sender's `answeredAt` stamp).
    var acceptSeconds: Double
    var acceptedPerSecond: Double
    /// First `send(batch:)` until the broker processed the ACK of the last delivery, i.e. the recipient had
    /// committed it to its inbox and acknowledged it (the `at` of the last delivered receipt). nil for accept-only.
    var endToEndSeconds: Double?
    var endToEndPerSecond: Double?
    /// First `send(batch:)` until every sender had stored every receipt (seen through `waitForReceipts`).
    var receiptsSeconds: Double?
    var receiptsPerSecond: Double?
    var io: IOCounts
}

/// Closed-loop throughput: every sender commits its share of the messages to its outbox in `send(batch:)` calls
/// of `batchSize`, in a task of its own, as fast as the calls return; the connection threads stream them to the
/// broker (at most `window` unanswered SENDs per node). The clock runs from the first `send(batch:)` to the last
/// ACCEPTED (and, end to end, to the last ACK at the broker and the last receipt at the sender).
struct ThroughputRun {
    var scenario: String
    var fleet: Fleet
    var workload: Workload
    var messagesPerSender: Int
    var batchSize: Int
    var endToEnd: Bool
    var timeout: Duration
    var adminEndpoint: String
    var brokerPid: Int32

    private struct SenderTimes: Sendable {
        var enqueuedNanos: UInt64
        var acceptedNanos: UInt64
        var receiptsNanos: UInt64?
    }

    func run() async throws -> ThroughputResult {
        let plans: [(pair: Fleet.Pair, batches: [[OutgoingMessage]])] = fleet.pairs.map { pair in
            let messages = workload.messages(
                from: pair.sender.configuration.node, to: pair.recipientId, count: messagesPerSender)
            let batches = stride(from: 0, to: messages.count, by: batchSize).map {
                Array(messages[$0..<min($0 + batchSize, messages.count)])
            }
            return (pair, batches)
        }
        let total = messagesPerSender * fleet.pairs.count
        var probe = try await IOProbe.start(adminEndpoint: adminEndpoint, brokerPid: brokerPid)

        let startNanos = Clocks.monotonicNanos()
        let startWall = Clocks.wallMillis()
        let times = try await withThrowingTaskGroup(of: SenderTimes.self) { group in
            for plan in plans {
                group.addTask { try await drive(plan.pair.sender, batches: plan.batches) }
            }
            return try await group.reduce(into: [SenderTimes]()) { $0.append($1) }
        }
        let receiptsNanos = times.compactMap(\.receiptsNanos).max()
        probe.markEnd()

        // Untimed: check every message and read the stored stamps of the last ACCEPTED and the last ACK.
        var lastAnswered: Int64 = 0
        var lastAck: Int64 = 0
        var lateReceiptsNanos: UInt64 = 0
        for plan in plans {
            let sender = plan.pair.sender
            for message in plan.batches.joined() {
                let entry = try sender.outboxEntry(id: message.id)
                guard let entry, entry.state == .accepted else {
                    throw BenchError(
                        "\(message.id) is not accepted (\(entry.map { "\($0.state)" } ?? "not in the outbox"))")
                }
                lastAnswered = max(lastAnswered, entry.answeredAt ?? 0)
                guard endToEnd else { continue }
                var receipts = try sender.receipts(for: message.id)
                if receipts.isEmpty {
                    // Arrived after the receipts of the batch ends: wait, and count the wait in.
                    receipts = try await sender.waitForReceipts(of: message.id, count: 1, timeout: timeout)
                    lateReceiptsNanos = Clocks.monotonicNanos()
                }
                guard let receipt = receipts.first, receipt.delivered else {
                    throw BenchError("\(message.id) was not delivered: \(receipts.first?.reason ?? "no receipt")")
                }
                lastAck = max(lastAck, receipt.at)
            }
        }
        let io = try await probe.finish(messages: total, untilQuiet: endToEnd, timeout: timeout)

        func seconds(_ nanos: UInt64) -> Double { Double(nanos - startNanos) / 1e9 }
        let enqueue = seconds(times.map(\.enqueuedNanos).max() ?? startNanos)
        let accept = (Double(lastAnswered) - startWall) / 1000
        var result = ThroughputResult(
            scenario: scenario, topology: topology, messages: total, bodyBytes: workload.bodySize,
            batchSize: batchSize, enqueueSeconds: enqueue, acceptSeconds: accept,
            acceptedPerSecond: Double(total) / accept, io: io)
        if endToEnd, let receiptsNanos {
            let e2e = (Double(lastAck) - startWall) / 1000
            let receipts = seconds(max(receiptsNanos, lateReceiptsNanos))
            result.endToEndSeconds = e2e
            result.endToEndPerSecond = Double(total) / e2e
            result.receiptsSeconds = receipts
            result.receiptsPerSecond = Double(total) / receipts
        }
        return result
    }

    private var topology: String {
        let count = fleet.pairs.count
        let shape = count == 1 ? "1 -> 1" : "\(count) -> \(count) (sender i -> recipient i)"
        return endToEnd ? shape : shape + ", recipients offline"
    }

    /// One sender: enqueue everything, then wait (in order) for the outcome, and the receipt,
    /// of the last message of each batch. The waits only detect the end; the figures come from stored stamps.
    private func drive(_ sender: ReferralNode, batches: [[OutgoingMessage]]) async throws -> SenderTimes {
        // Awaited: each commit runs on the node store's queue, not on the cooperative pool.
        for batch in batches { try await sender.send(batch: batch) }
        let enqueued = Clocks.monotonicNanos()
        for batch in batches {
            guard let last = batch.last else { continue }
            let outcome = try await sender.outcome(of: last.id, timeout: timeout)
            guard case .accepted = outcome else { throw BenchError("\(last.id) was refused: \(outcome)") }
        }
        let accepted = Clocks.monotonicNanos()
        guard endToEnd else { return SenderTimes(enqueuedNanos: enqueued, acceptedNanos: accepted) }
        for batch in batches {
            guard let last = batch.last else { continue }
            _ = try await sender.waitForReceipts(of: last.id, count: 1, timeout: timeout)
        }
        return SenderTimes(enqueuedNanos: enqueued, acceptedNanos: accepted, receiptsNanos: Clocks.monotonicNanos())
    }
}
