import Foundation
import ReferralClient
import ReferralProtocol
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

                async let sending: Void = PlannedSending.send(
                    plans, from: senders, chunk: 10, pause: .milliseconds(3), issued: issued)

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

                try await ExactlyOnce.check(
                    h, senders: senders, plans: plans,
                    recipients: Dictionary(uniqueKeysWithValues: zip(recipientIds, recipients)),
                    label: "crash test")

                try await h.eventually("nothing is left pending or in flight at the broker") {
                    let nodes = try await h.status()["nodes"] as? [[String: Any]] ?? []
                    return nodes.allSatisfy { $0["pending"] as? Int == 0 && $0["in_flight"] as? Int == 0 }
                }
            }
        }
    }
}
