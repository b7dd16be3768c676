import Foundation
import ReferralClient
import ReferralProtocol
import Testing

extension DaemonSuite {
    @Suite("Round trips between real nodes")
    struct RoundTripTests {
        /// A sends to B; B receives and completes it; A gets ACCEPTED, then a "delivered" receipt for B.
        @Test func roundTrip() async throws {
            try await withDaemon { h in
                let a = try h.node("test-a")
                let b = try h.node("test-b")
                let id = "test-a:rt-000001"
                let caseId = Made.caseId()
                try await a.send(Made.message(id, to: ["test-b"], caseId: caseId, priority: .urgent))

                let outcome = try await a.outcome(of: id, timeout: .seconds(20))
                guard case .accepted(let seq, let duplicate) = outcome else {
                    return h.fail("the broker did not accept \(id): \(outcome)")
                }
                h.expect(!duplicate, "a first send must not be a duplicate")

                let message = try h.unwrap(try await b.nextMessage(timeout: .seconds(20)), "B received nothing")
                h.expect(message.from == "test-a" && message.id == id, "B received \(message.from)/\(message.id)")
                h.expect(message.seq == seq, "delivered seq \(message.seq), accepted seq \(seq)")
                h.expect(message.to == ["test-b"], "to: \(message.to)")
                h.expect(message.kind == Made.kind, "kind: \(message.kind)")
                h.expect(message.caseId == caseId, "case: \(message.caseId ?? "none")")
                h.expect(message.priority == .urgent, "priority: \(message.priority)")
                h.expect(message.body == Made.body(id), "the body changed on the way")
                try await b.complete(message)

                let receipts = try await a.waitForReceipts(of: id, count: 1, timeout: .seconds(20))
                h.expect(receipts.count == 1, "receipts: \(receipts)")
                if let receipt = receipts.first {
                    h.expect(receipt.recipient == "test-b", "receipt for \(receipt.recipient)")
                    h.expect(receipt.delivered, "receipt outcome is not delivered: \(receipt)")
                    h.expect(receipt.seq == seq, "receipt seq \(receipt.seq), accepted seq \(seq)")
                    h.expect(receipt.reason == nil, "a delivered receipt has no reason")
                }
                h.expect(try await b.nextMessage(timeout: .zero) == nil, "B has a second message")
            }
        }

        /// A sends 20 to B while B is not running; B starts and receives all 20 in order; A gets 20 receipts.
        @Test func recipientOfflineThenBack() async throws {
            try await withDaemon { h in
                let a = try h.node("test-a")
                let ids = (1...20).map { String(format: "test-a:offline-%06d", $0) }
                try await a.send(batch: ids.map { Made.message($0, to: ["test-b"]) })
                let seqs = try await a.acceptedSeqs(ids)
                try h.require(seqs.count == 20, "accepted \(seqs.count) of 20")
                try h.require(
                    ids.map { seqs[$0]! } == ids.map { seqs[$0]! }.sorted(), "seqs are not in send order: \(seqs)")

                try await h.eventually("STATUS shows 20 pending for the offline test-b") {
                    let status = try await h.nodeStatus("test-b")
                    return status["pending"] as? Int == 20 && status["connected"] as? Bool == false
                }

                let b = try h.node("test-b")
                let received = try await b.receive(count: 20)
                h.expect(received.map(\.id) == ids, "B received, in this order: \(received.map(\.id))")
                h.expect(received.map(\.seq) == ids.map { seqs[$0]! }, "seqs differ")
                h.expect(received.allSatisfy { $0.from == "test-a" && $0.body == Made.body($0.id) }, "content differs")

                for id in ids {
                    let receipts = try await a.waitForReceipts(of: id, count: 1, timeout: .seconds(20))
                    h.expect(
                        receipts.count == 1 && receipts[0].delivered && receipts[0].recipient == "test-b"
                            && receipts[0].seq == seqs[id],
                        "receipts of \(id): \(receipts)")
                }
                h.expect(try await b.nextMessage(timeout: .zero) == nil, "B has more than 20 messages")
            }
        }

        /// A SEND resent with the same id and content is ACCEPTED again with the same seq and `duplicate: true`
        /// (on the same connection and on a new one), stored once and delivered once; different content under
        /// the same id is REJECTED with CONFLICT.
        @Test func resentSendIsStoredOnce() async throws {
            try await withDaemon { h in
                let b = try h.node("test-b")
                let x = Made.send("test-a:dup-000001", to: ["test-b"], caseId: Made.caseId(), priority: .urgent)

                let first = try h.raw("test-a")
                try await first.hello("test-a")
                let seq = try accepted(try await first.send(x), duplicate: false, h)
                h.expect(try accepted(try await first.send(x), duplicate: true, h) == seq, "second answer: other seq")
                first.close()

                let second = try h.raw("test-a")
                try await second.hello("test-a")
                h.expect(try accepted(try await second.send(x), duplicate: true, h) == seq, "third answer: other seq")

                var changed = x
                changed.body = Array("{\"note\":\"different synthetic payload\"}".utf8)
                switch try await second.send(changed) {
                case .rejected(let rejected):
                    h.expect(rejected.code == .conflict, "different content: \(rejected.code), expected CONFLICT")
                    h.expect(!rejected.retry, "a CONFLICT is not retryable")
                case let other:
                    h.fail("different content under the same id was answered \(other.name), expected REJECTED")
                }

                // A later message: once it has arrived, a second copy of x would have arrived before it.
                let y = Made.send("test-a:dup-000002", to: ["test-b"])
                let ySeq = try accepted(try await second.send(y), duplicate: false, h)

                var received: [InboxMessage] = []
                try await h.eventually("B receives \(x.id) and \(y.id)") {
                    try await second.idle(for: .milliseconds(20))  // keeps test-a's session alive
                    while let message = try await b.nextMessage(timeout: .zero) {
                        received.append(message)
                        try await b.complete(message)
                    }
                    return received.count >= 2
                }
                h.expect(
                    received.map(\.id) == [x.id, y.id] && received.map(\.seq) == [seq, ySeq],
                    "B received \(received.map { "\($0.id)#\($0.seq)" })")
                h.expect(try await b.nextMessage(timeout: .zero) == nil, "B received a copy")

                // One receipt per message, whichever session it reached.
                var receipts: [Int64: Int64] = [:]  // receipt -> seq
                while Set(receipts.values) != [seq, ySeq] {
                    let receipt: Receipt = try await second.expect("RECEIPTs for \(x.id) and \(y.id)") { command in
                        if case .receipt(let receipt) = command { return receipt }
                        return nil
                    }
                    h.expect(receipt.outcome == .delivered && receipt.recipient == "test-b", "receipt \(receipt)")
                    receipts[receipt.receipt] = receipt.seq
                    try await second.send(.receiptAck(ReceiptAck(receipt: receipt.receipt)))
                }
                h.expect(receipts.values.filter { $0 == seq }.count == 1, "receipts for \(x.id): \(receipts)")

                let trail = try await h.trail(sender: "test-a", id: x.id)
                let events = trail.compactMap { $0["event"] as? String }
                h.expect(events.filter { $0 == "accepted" }.count == 1, "stored more than once: \(events)")
                h.expect(events.filter { $0 == "acked" }.count == 1, "acked more than once: \(events)")
                h.expect(events.filter { $0 == "receipt-created" }.count == 1, "receipts: \(events)")
                h.expect(
                    trail.allSatisfy { ($0["seq"] as? Int).map(Int64.init) == seq }, "trail has other seqs: \(trail)")
                second.close()
            }
        }

        /// A recipient that dies before it ACKs gets the message again: a raw B receives the DELIVER and closes
        /// without answering; a ReferralNode B then receives it (attempt 2 or later), once.
        @Test func recipientKilledBeforeAckGetsItAgain() async throws {
            try await withDaemon { h in
                let a = try h.node("test-a")
                let id = "test-a:noack-000001"
                try await a.send(Made.message(id, to: ["test-b"], caseId: Made.caseId()))
                let seq = try h.unwrap(try await a.acceptedSeqs([id])[id], "\(id) not accepted")

                let raw = try h.raw("test-b")
                try await raw.hello("test-b")
                let deliver: Deliver = try await raw.expect("DELIVER of \(id)") { command in
                    if case .deliver(let deliver) = command, deliver.id == id { return deliver }
                    return nil
                }
                h.expect(deliver.seq == seq && deliver.from == "test-a", "DELIVER \(deliver.seq) from \(deliver.from)")
                h.expect(deliver.attempt == 1, "first attempt numbered \(deliver.attempt)")
                raw.close()  // no ACK, no BYE

                let b = try h.node("test-b")
                let received = try await b.receive(count: 1)
                h.expect(received.map(\.id) == [id] && received.first?.seq == seq, "B received \(received.map(\.id))")

                try await h.eventually("the trail shows B's ACK of attempt 2 or later") {
                    let trail = try await h.trail(sender: "test-a", id: id)
                    return trail.contains {
                        $0["event"] as? String == "acked" && $0["recipient"] as? String == "test-b"
                            && ($0["attempt"] as? Int ?? 0) >= 2
                    }
                }
                let receipts = try await a.waitForReceipts(of: id, count: 1, timeout: .seconds(20))
                h.expect(receipts.count == 1 && receipts[0].delivered, "receipts: \(receipts)")
                h.expect(try await b.nextMessage(timeout: .zero) == nil, "B's inbox holds more than the one message")
            }
        }
    }
}

/// The seq of an ACCEPTED with the expected `duplicate` flag; records a failure otherwise.
private func accepted(_ answer: Command, duplicate: Bool, _ h: Harness) throws -> Int64 {
    guard case .accepted(let accepted) = answer else {
        if case .rejected(let rejected) = answer {
            h.fail("REJECTED \(rejected.code): \(rejected.reason)")
        } else {
            h.fail("unexpected answer \(answer.name)")
        }
        throw HarnessError("SEND not accepted")
    }
    h.expect(accepted.duplicate == duplicate, "ACCEPTED \(accepted.id) duplicate=\(accepted.duplicate)")
    return accepted.seq
}
