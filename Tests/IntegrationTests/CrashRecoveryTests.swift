import Foundation
import ReferralClient
import ReferralProtocol
import Synchronization
import Testing

extension DaemonSuite {
    @Suite("kill -9 of the broker under load")
    struct CrashRecoveryTests {
        /// Four senders send 150 messages each to two recipients; while they are sending, the broker is killed
        /// with SIGKILL and restarted on the same endpoint and data directory. The senders' outboxes resend
        /// what was not answered. In the end every message a sender's outbox shows ACCEPTED is in each of its
        /// recipients' inboxes exactly once (none lost, none duplicated, nothing that was never sent), with
        /// the seq the sender was given, and each sender has exactly one receipt per recipient.
        @Test func crashWhileSendingLosesAndDuplicatesNothing() async throws {
            try await withDaemon { h in
                let recipientIds = ["test-e", "test-f"]
                let senderIds = ["test-a", "test-b", "test-c", "test-d"]
                let perSender = 150
                let recipients = try recipientIds.map { try h.node($0) }
                let senders = try senderIds.map { try h.node($0) }

                // Made-up traffic: one recipient or both, a case for every fifth message, some urgent ones.
                let plans: [[OutgoingMessage]] = senderIds.map { sender in
                    let caseId = Made.caseId()
                    return (1...perSender).map { index in
                        let to = index % 3 == 0 ? recipientIds : [recipientIds[index % 2]]
                        return Made.message(
                            String(format: "\(sender):crash-%06d", index), to: to,
                            caseId: index % 5 == 0 ? caseId : nil, priority: index % 7 == 0 ? .urgent : .routine)
                    }
                }
                let total = perSender * senderIds.count
                let issued = Counter()

                async let sending: Void = withThrowingTaskGroup(of: Void.self) { group in
                    for (node, plan) in zip(senders, plans) {
                        group.addTask {
                            for start in stride(from: 0, to: plan.count, by: 10) {
                                let chunk = Array(plan[start..<min(start + 10, plan.count)])
                                try await node.send(batch: chunk)
                                issued.add(chunk.count)
                                try await Task.sleep(for: .milliseconds(3))
                            }
                        }
                    }
                    try await group.waitForAll()
                }

                try await h.eventually("the senders are under way", interval: .milliseconds(2)) {
                    issued.value >= total / 2
                }
                try await h.daemon.kill9()
                let issuedAtCrash = issued.value
                var acceptedAtCrash = 0
                for (node, plan) in zip(senders, plans) {
                    for message in plan where try node.outboxEntry(id: message.id)?.state == .accepted {
                        acceptedAtCrash += 1
                    }
                }
                try await h.daemon.start()
                try await sending
                print(
                    "crash test: when the broker was killed, \(issuedAtCrash) of \(total) messages had been handed "
                        + "to the senders and \(acceptedAtCrash) accepted")

                // Every message gets its final answer: ACCEPTED (nothing here can be rejected).
                var expected: [String: [MessageKey: Int64]] = [:]  // recipient -> key -> seq
                var accepted: [MessageKey: (seq: Int64, to: [String])] = [:]
                for (node, plan) in zip(senders, plans) {
                    let seqs = try await node.acceptedSeqs(plan.map(\.id), timeout: .seconds(60))
                    h.expect(
                        seqs.count == plan.count,
                        "\(node.configuration.node): \(seqs.count) of \(plan.count) accepted")
                    for message in plan {
                        guard let seq = seqs[message.id] else { continue }
                        let key = MessageKey(from: node.configuration.node, id: message.id)
                        accepted[key] = (seq, message.to)
                        for recipient in message.to { expected[recipient, default: [:]][key] = seq }
                    }
                }
                h.expect(Set(accepted.values.map(\.seq)).count == accepted.count, "two messages share a seq")

                // What each recipient's inbox holds, read through nextMessage.
                for (recipientId, node) in zip(recipientIds, recipients) {
                    let want = expected[recipientId] ?? [:]
                    var counts: [MessageKey: Int] = [:]
                    var seqOf: [MessageKey: Int64] = [:]
                    let deadline = ContinuousClock.now + .seconds(60)
                    while Set(counts.keys).isSuperset(of: want.keys) == false {
                        let left = deadline - ContinuousClock.now
                        guard left > .zero, let message = try await node.nextMessage(timeout: left) else { break }
                        let key = MessageKey(from: message.from, id: message.id)
                        counts[key, default: 0] += 1
                        seqOf[key] = message.seq
                    }
                    // Anything else already stored comes out now too.
                    while let message = try await node.nextMessage(timeout: .zero) {
                        let key = MessageKey(from: message.from, id: message.id)
                        counts[key, default: 0] += 1
                        seqOf[key] = message.seq
                    }
                    let lost = want.keys.filter { counts[$0] == nil }
                    let duplicated = counts.filter { $0.value > 1 }.map(\.key)
                    let neverSent = counts.keys.filter { want[$0] == nil }
                    let wrongSeq = want.filter { key, seq in seqOf[key].map { $0 != seq } ?? false }.map(\.key)
                    let lostSample = lost.map(\.description).sorted().prefix(10)
                    h.expect(lost.isEmpty, "\(recipientId): lost \(lost.count) of \(want.count): \(lostSample)")
                    h.expect(
                        duplicated.isEmpty, "\(recipientId): duplicated \(duplicated.count): \(duplicated.prefix(10))")
                    h.expect(
                        neverSent.isEmpty,
                        "\(recipientId): \(neverSent.count) never sent to it: \(neverSent.prefix(10))")
                    h.expect(
                        wrongSeq.isEmpty, "\(recipientId): \(wrongSeq.count) with another seq: \(wrongSeq.prefix(10))")
                    print("crash test: \(recipientId) holds \(counts.count) messages, expected \(want.count)")
                }

                // Exactly one receipt per (message, recipient), with the accepted seq.
                var badReceipts: [String] = []
                for (node, plan) in zip(senders, plans) {
                    for message in plan {
                        let key = MessageKey(from: node.configuration.node, id: message.id)
                        guard let entry = accepted[key] else { continue }
                        _ = try await node.waitForReceipts(of: message.id, count: entry.to.count, timeout: .seconds(30))
                        let receipts = try node.receipts(for: message.id)
                        if receipts.count != entry.to.count || Set(receipts.map(\.recipient)) != Set(entry.to)
                            || !receipts.allSatisfy({ $0.delivered && $0.seq == entry.seq })
                        {
                            badReceipts.append("\(key): \(receipts)")
                        }
                    }
                }
                h.expect(
                    badReceipts.isEmpty, "\(badReceipts.count) messages with wrong receipts: \(badReceipts.prefix(5))")

                try await h.eventually("nothing is left pending or in flight at the broker") {
                    let nodes = try await h.status()["nodes"] as? [[String: Any]] ?? []
                    return nodes.allSatisfy { $0["pending"] as? Int == 0 && $0["in_flight"] as? Int == 0 }
                }
            }
        }
    }
}

/// A thread-safe counter.
final class Counter: Sendable {
    private let count = Mutex(0)
    var value: Int { count.withLock { $0 } }
    func add(_ amount: Int) { count.withLock { $0 += amount } }
}
