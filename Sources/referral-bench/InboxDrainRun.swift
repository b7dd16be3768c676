import Foundation
import ReferralClient

/// The outcome of the inbox-drain scenario.
struct InboxDrainResult: Codable, Sendable {
    var messages: Int
    var bodyBytes: Int
    /// Messages per `nextMessages(max:)` and `complete(_:)` round of the application (1: one commit, one fsync,
    /// per message: how `referralctl listen` drained before issue 9).
    var drainBatch: Int
    /// First `send(batch:)` until the recipient's node had stored the last message in its inbox (the largest
    /// `receivedAt` the application saw).
    var inboxSeconds: Double
    var inboxPerSecond: Double
    /// First `send(batch:)` until the application's last `complete` returned (committed).
    var applicationSeconds: Double
    var applicationPerSecond: Double
    /// Then as many again sent while the application waits, all in the inbox (a receipt for each at the sender):
    /// the application's time to take and complete that backlog, and its rate (the application side alone).
    var backlogSeconds: Double
    var backlogPerSecond: Double

    func text() -> String {
        "inbox-drain: 1 -> 1, \(messages) msgs of \(bodyBytes) B, the application takes and completes \(drainBatch) "
            + "at a time: into the inbox \(BenchReport.rate(inboxPerSecond)) msg/s, into the application "
            + "\(BenchReport.rate(applicationPerSecond)) msg/s; a backlog of \(messages) in the inbox drained at "
            + "\(BenchReport.rate(backlogPerSecond)) msg/s\n"
    }
}

/// inbox-drain: 1 sender -> 1 recipient whose application takes every message out of its inbox while they arrive,
/// as `referralctl listen` does: `nextMessages(max: drainBatch)`, then `complete` of them all in one commit. The
/// clock runs from the first `send(batch:)` to the last message in the inbox and to the last `complete`; the
/// second rate is what an application gets. Then the application alone: as many again are sent while it waits,
/// and once all are in its inbox it drains that backlog, timed. `--drain-batch 1` is the one-fsync-per-message
/// drain, for the A/B.
struct InboxDrainRun {
    var fleet: Fleet
    var workload: Workload
    var messages: Int
    var batchSize: Int
    var drainBatch: Int
    var timeout: Duration

    func run() async throws -> InboxDrainResult {
        guard let pair = fleet.pairs.first, let recipient = pair.recipient else {
            throw BenchError("inbox-drain needs one sender and its recipient online")
        }
        let all = workload.messages(from: pair.sender.configuration.node, to: pair.recipientId, count: messages)
        let startWall = Clocks.wallMillis()
        async let drained = drain(recipient)
        for start in stride(from: 0, to: all.count, by: batchSize) {
            try await pair.sender.send(batch: Array(all[start..<min(start + batchSize, all.count)]))
        }
        let (lastReceived, lastCompleted) = try await drained
        let inbox = (Double(lastReceived) - startWall) / 1000
        let application = (lastCompleted - startWall) / 1000

        let backlog = (0..<messages).map {
            workload.message(from: pair.sender.configuration.node, to: pair.recipientId, number: messages + $0)
        }
        try await fillInbox(from: pair.sender, with: backlog)
        let backlogStart = Clocks.monotonicNanos()
        _ = try await drain(recipient)
        let backlogSeconds = Double(Clocks.monotonicNanos() - backlogStart) / 1e9
        return InboxDrainResult(
            messages: messages, bodyBytes: workload.bodySize, drainBatch: drainBatch, inboxSeconds: inbox,
            inboxPerSecond: Double(messages) / inbox, applicationSeconds: application,
            applicationPerSecond: Double(messages) / application, backlogSeconds: backlogSeconds,
            backlogPerSecond: Double(messages) / backlogSeconds)
    }

    /// Untimed: sends `backlog` and waits until each message is in the recipient's inbox (its receipt is back).
    private func fillInbox(from sender: ReferralNode, with backlog: [OutgoingMessage]) async throws {
        for start in stride(from: 0, to: backlog.count, by: batchSize) {
            try await sender.send(batch: Array(backlog[start..<min(start + batchSize, backlog.count)]))
        }
        for message in backlog {
            guard try await sender.waitForReceipts(of: message.id, count: 1, timeout: timeout).first?.delivered == true
            else { throw BenchError("inbox-drain: \(message.id) was not delivered") }
        }
    }

    /// Takes and completes every message; returns the last one's `receivedAt` and the wall time (ms) after the
    /// last commit.
    private func drain(_ recipient: ReferralNode) async throws -> (Int64, Double) {
        var drained = 0
        var lastReceived: Int64 = 0
        while drained < messages {
            let batch = try await recipient.nextMessages(max: drainBatch, timeout: timeout)
            guard !batch.isEmpty else { throw BenchError("inbox-drain: no message for \(timeout) after \(drained)") }
            try await recipient.complete(batch)
            drained += batch.count
            lastReceived = max(lastReceived, batch.map(\.receivedAt).max() ?? 0)
        }
        return (lastReceived, Clocks.wallMillis())
    }
}

extension BenchCommand {
    func runInboxDrain(in workspace: Workspace) async throws -> InboxDrainResult {
        printError(
            "referral-bench: inbox-drain: \(messages) messages of \(bodySize) B, drained \(drainBatch) at a time")
        return try await withBroker("inbox-drain", pairs: 1, recipientsOnline: true, in: workspace) { fleet, _ in
            try await InboxDrainRun(
                fleet: fleet, workload: Workload(bodySize: bodySize), messages: messages, batchSize: batch,
                drainBatch: drainBatch, timeout: .seconds(timeout)
            ).run()
        }
    }
}
