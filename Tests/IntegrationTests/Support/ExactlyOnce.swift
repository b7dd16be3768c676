import Foundation
import ReferralClient
import Testing

/// What the crash and failover tests promise, checked after the fault: every message a sender sent is ACCEPTED
/// (none here can be rejected), two never share a seq, each recipient's inbox holds each of its messages exactly
/// once with the accepted seq (none lost, none duplicated to the application, nothing never sent), and each
/// sender has exactly one receipt per recipient, delivered, with that seq. Messages from the broker itself
/// (escalation notices) are not counted: they are returned, by recipient, for the caller to check.
enum ExactlyOnce {
    @discardableResult
    static func check(
        _ h: Harness, senders: [ReferralNode], plans: [[OutgoingMessage]], recipients: [String: ReferralNode],
        label: String
    ) async throws -> [String: [InboxMessage]] {
        var fromBroker: [String: [InboxMessage]] = [:]
        var expected: [String: [MessageKey: Int64]] = [:]  // recipient -> key -> seq
        var accepted: [MessageKey: (seq: Int64, to: [String])] = [:]
        for (node, plan) in zip(senders, plans) {
            let seqs = try await node.acceptedSeqs(plan.map(\.id), timeout: .seconds(60))
            h.expect(seqs.count == plan.count, "\(node.configuration.node): \(seqs.count) of \(plan.count) accepted")
            for message in plan {
                guard let seq = seqs[message.id] else { continue }
                let key = MessageKey(from: node.configuration.node, id: message.id)
                accepted[key] = (seq, message.to)
                for recipient in message.to { expected[recipient, default: [:]][key] = seq }
            }
        }
        h.expect(Set(accepted.values.map(\.seq)).count == accepted.count, "two messages share a seq")

        for (recipientId, node) in recipients.sorted(by: { $0.key < $1.key }) {
            let want = expected[recipientId] ?? [:]
            var counts: [MessageKey: Int] = [:]
            var seqOf: [MessageKey: Int64] = [:]
            let deadline = ContinuousClock.now + .seconds(60)
            while Set(counts.keys).isSuperset(of: want.keys) == false {
                let left = deadline - ContinuousClock.now
                guard left > .zero, let message = try await node.nextMessage(timeout: left) else { break }
                if message.from == "referrald" {
                    fromBroker[recipientId, default: []].append(message)
                    continue
                }
                let key = MessageKey(from: message.from, id: message.id)
                counts[key, default: 0] += 1
                seqOf[key] = message.seq
            }
            // Anything else already stored comes out now too.
            while let message = try await node.nextMessage(timeout: .zero) {
                if message.from == "referrald" {
                    fromBroker[recipientId, default: []].append(message)
                    continue
                }
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
            h.expect(duplicated.isEmpty, "\(recipientId): duplicated \(duplicated.count): \(duplicated.prefix(10))")
            h.expect(neverSent.isEmpty, "\(recipientId): \(neverSent.count) never sent to it: \(neverSent.prefix(10))")
            h.expect(wrongSeq.isEmpty, "\(recipientId): \(wrongSeq.count) with another seq: \(wrongSeq.prefix(10))")
            print("\(label): \(recipientId) holds \(counts.count) messages, expected \(want.count)")
        }

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
        h.expect(badReceipts.isEmpty, "\(badReceipts.count) messages with wrong receipts: \(badReceipts.prefix(5))")
        return fromBroker
    }
}
