import Foundation
import ReferralClient
import ReferralProtocol
import Testing

extension DaemonSuite {
    @Suite("Per-case order, held cases and priority")
    struct OrderingTests {
        /// B refuses the first message of case X for good: it is dead-lettered, the sender gets a
        /// "dead-lettered" receipt, and case X is held for B (STATUS shows it; its later messages are not
        /// delivered), while case Y keeps arriving in accept order.
        @Test func deadLetterHoldsOnlyItsOwnCase() async throws {
            try await withDaemon { h in
                let a = try h.node("test-a")
                let caseX = Made.caseId()
                let caseY = Made.caseId()
                let x = (1...3).map { "test-a:case-x-\($0)" }
                let y = (1...6).map { "test-a:case-y-\($0)" }
                // Interleaved: x1 y1 x2 y2 x3 y3.
                var first: [OutgoingMessage] = []
                for index in 0..<3 {
                    first.append(Made.message(x[index], to: ["test-b"], caseId: caseX))
                    first.append(Made.message(y[index], to: ["test-b"], caseId: caseY))
                }
                try await a.send(batch: first)
                var seqs = try await a.acceptedSeqs(first.map(\.id))
                try h.require(seqs.count == 6, "accepted \(seqs.count) of 6")
                let raw = try h.raw("test-b")
                try await raw.hello("test-b", window: 16)

                var delivered: [Deliver] = []
                let refusal = "made-up: not handled"
                /// Answers DELIVERs (NACK x1 for good, ACK the rest) until all of `wanted` have been answered.
                func serve(until wanted: Set<String>) async throws {
                    while !wanted.isSubset(of: Set(delivered.map(\.id))) {
                        let deliver: Deliver = try await raw.expect(
                            "DELIVER (waiting for \(wanted))", timeout: .seconds(20)
                        ) {
                            command in
                            if case .deliver(let deliver) = command { return deliver }
                            return nil
                        }
                        delivered.append(deliver)
                        if deliver.id == x[0] {
                            try await raw.send(
                                .nack(Nack(seq: deliver.seq, retry: false, reason: refusal)))
                        } else {
                            try await raw.send(.ack(Ack(seq: deliver.seq)))
                        }
                    }
                }
                try await serve(until: [x[0], y[2]])

                // Meanwhile B keeps reading (and answering PINGs), so that its session stays open.
                try await h.eventually("the sender has a receipt for x1") {
                    try await raw.idle(for: .milliseconds(20))
                    return try !a.receipts(for: x[0]).isEmpty
                }
                let receipts = try a.receipts(for: x[0])
                h.expect(receipts.count == 1, "receipts of x1: \(receipts)")
                if let receipt = receipts.first {
                    h.expect(!receipt.delivered, "x1's receipt says delivered")
                    h.expect(receipt.recipient == "test-b" && receipt.seq == seqs[x[0]], "receipt \(receipt)")
                    h.expect(receipt.reason == refusal, "the receipt's reason is \(receipt.reason ?? "nil"), not the NACK's")
                }
                // §12.5: the NACK's reason, unchanged, wherever the dead letter shows (ADMIN-1 TRAIL, referralctl).
                let events = try await h.trail(sender: "test-a", id: x[0])
                let dead = events.first { $0["event"] as? String == "dead-lettered" }
                h.expect(dead?["detail"] as? String == refusal, "TRAIL's dead-lettered event: \(dead ?? [:])")
                let nacked = events.first { $0["event"] as? String == "nacked" }
                h.expect(nacked?["detail"] as? String == "permanent: \(refusal)", "TRAIL's nacked event: \(nacked ?? [:])")
                let lines = try await h.referralctl(["trail", "--message", "test-a/\(x[0])", "--admin", h.daemon.admin])
                h.expect(
                    lines.status == 0 && lines.stdout.contains("dead-lettered") && lines.stdout.contains(refusal)
                        && !lines.stdout.contains("refused by recipient"),
                    "referralctl trail: \(lines)")

                var seen = ""
                try await h.eventually("STATUS shows case X held for test-b, with x2 and x3 pending (last: \(seen))") {
                    try await raw.idle(for: .milliseconds(20))
                    let status = try await h.status()
                    let held = status["held_cases"] as? [[String: Any]] ?? []
                    let node = (status["nodes"] as? [[String: Any]] ?? []).first { $0["node"] as? String == "test-b" }
                    seen = "held \(held), test-b \(node ?? [:]), delivered \(delivered.map(\.id))"
                    return held.count == 1 && held[0]["case"] as? String == caseX
                        && held[0]["recipient"] as? String == "test-b"
                        && (held[0]["seq"] as? Int).map(Int64.init) == seqs[x[0]]
                        && node?["pending"] as? Int == 2 && node?["dead_letters"] as? Int == 1
                }

                // Case Y goes on after the dead letter; x2 (an earlier seq) would come first if it were free.
                let later = y[3...].map { Made.message($0, to: ["test-b"], caseId: caseY) }
                try await a.send(batch: later)
                try await serve(until: [y[5]])
                seqs.merge(try await a.acceptedSeqs(later.map(\.id))) { old, _ in old }

                let ids = delivered.map(\.id)
                h.expect(!ids.contains(x[1]) && !ids.contains(x[2]), "held messages were delivered: \(ids)")
                h.expect(ids.filter { $0 == x[0] }.count == 1, "x1 delivered \(ids.filter { $0 == x[0] }.count) times")
                let yDelivered = delivered.filter { $0.caseId == caseY }
                h.expect(yDelivered.map(\.id) == y, "case Y arrived as \(yDelivered.map(\.id))")
                h.expect(yDelivered.map(\.seq) == y.map { seqs[$0] ?? -1 }, "case Y seqs \(yDelivered.map(\.seq))")
                h.expect(yDelivered.allSatisfy { $0.attempt == 1 }, "case Y was redelivered")
                for id in y {
                    let receipts = try await a.waitForReceipts(of: id, count: 1, timeout: .seconds(20))
                    h.expect(receipts.count == 1 && receipts[0].delivered, "receipts of \(id): \(receipts)")
                }
                for id in x.dropFirst() {
                    h.expect(try a.receipts(for: id).isEmpty, "a held message has a receipt: \(id)")
                }
                raw.close()
            }
        }

        /// 200 routine messages wait for an offline B, then 1 crisis message is sent; when B connects (window
        /// 1), the crisis message is the first it receives, and the routine ones follow in accept order.
        @Test func crisisOvertakesRoutineBacklog() async throws {
            try await withDaemon { h in
                let a = try h.node("test-a")
                let routine = (1...200).map { String(format: "test-a:routine-%06d", $0) }
                let crisis = "test-a:crisis-000001"
                try await a.send(batch: routine.map { Made.message($0, to: ["test-b"]) })
                try await a.send(Made.message(crisis, to: ["test-b"], priority: .crisis))
                let seqs = try await a.acceptedSeqs(routine + [crisis])
                try h.require(seqs.count == 201, "accepted \(seqs.count) of 201")
                try h.require(
                    routine.allSatisfy { seqs[$0]! < seqs[crisis]! },
                    "the crisis message was accepted before the backlog")
                try await h.eventually("the backlog is pending for test-b") {
                    try await h.nodeStatus("test-b")["pending"] as? Int == 201
                }

                let b = try h.node("test-b", window: 1)
                let firstFew = try await b.receive(count: 6)
                try h.require(firstFew.count == 6, "B received \(firstFew.count) messages")
                h.expect(
                    firstFew[0].id == crisis && firstFew[0].priority == .crisis,
                    "B's first message is \(firstFew[0].id) (\(firstFew[0].priority)), not the crisis message")
                h.expect(
                    firstFew.dropFirst().map(\.id) == Array(routine.prefix(5)),
                    "then \(firstFew.dropFirst().map(\.id)), expected the routine ones in accept order")
            }
        }
    }
}
