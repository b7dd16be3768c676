import Foundation
import ReferralClient
import ReferralProtocol
import Testing

extension DaemonSuite {
    /// A backlog larger than the broker's memory (`delivery_memory`, `receipt_memory`; docs/DESIGN.md, "a window on
    /// the store"): what waits beyond it stays in the store and is read a page at a time, across a restart.
    @Suite("a backlog beyond the broker's memory")
    struct BacklogWindowTests {
        /// test-b, offline, has 30 messages waiting in three cases and none (memory: 4); the broker restarts; test-b
        /// gets each exactly once, every case in accept order; its sender, offline meanwhile, then gets its 30
        /// receipts (memory: 3) after another restart.
        @Test func everyMessageArrivesOnceInCaseOrderAndEveryReceiptAcrossRestarts() async throws {
            var options = DaemonOptions()
            options.deliveryMemory = 4
            options.receiptMemory = 3
            try await withDaemon(options) { h in
                let a = try h.node("test-a")
                let cases = [Made.caseId(), Made.caseId(), nil]
                let ids = (1...30).map { String(format: "test-a:window-%06d", $0) }
                let sent = ids.enumerated().map { index, id in
                    Made.message(
                        id, to: ["test-b"], caseId: cases[index % 3], priority: index % 7 == 0 ? .crisis : .routine)
                }
                try await a.send(batch: sent)
                let seqs = try await a.acceptedSeqs(ids)
                try h.require(seqs.count == 30, "accepted \(seqs.count) of 30")
                await h.stop(a)

                _ = try await h.daemon.terminate()
                try await h.daemon.start()
                let pending = try await h.nodeStatus("test-b")["pending"] as? Int
                h.expect(pending == 30, "STATUS after the restart: \(pending.map(String.init) ?? "nil") pending")

                let b = try h.node("test-b", window: 3)
                let received = try await b.receive(count: 30)
                h.expect(received.map(\.id).sorted() == ids, "B received: \(received.map(\.id))")
                for caseId in cases.compactMap({ $0 }) {
                    let inCase = received.filter { $0.caseId == caseId }.map(\.seq)
                    h.expect(inCase == inCase.sorted() && inCase.count == 10, "case order: \(inCase)")
                }
                h.expect(try await b.nextMessage(timeout: .milliseconds(500)) == nil, "B got a message twice")
                try await h.eventually("STATUS shows 30 receipts waiting for the offline test-a") {
                    let status = try await h.nodeStatus("test-b")
                    let sender = try await h.nodeStatus("test-a")
                    return status["pending"] as? Int == 0 && status["in_flight"] as? Int == 0
                        && sender["receipts_pending"] as? Int == 30
                }

                _ = try await h.daemon.terminate()
                try await h.daemon.start()
                let back = try h.node("test-a")
                for id in ids {
                    let receipts = try await back.waitForReceipts(of: id, count: 1, timeout: .seconds(20))
                    h.expect(
                        receipts.count == 1 && receipts[0].delivered && receipts[0].seq == seqs[id],
                        "receipts of \(id): \(receipts)")
                }
                try await h.eventually("every receipt confirmed") {
                    try await h.nodeStatus("test-a")["receipts_pending"] as? Int == 0
                }
            }
        }
    }
}

extension DaemonSuite.BacklogWindowTests {
    /// A held case across a restart: test-b has five messages of one case waiting (memory: 2); the broker restarts;
    /// test-b refuses the first for good: the four others each show `held` once on their trail (ADMIN-1), also those
    /// that waited beyond the broker's memory, are never delivered, and STATUS counts them pending.
    @Test func everyHeldMessageShowsHeldAfterARestart() async throws {
        var options = DaemonOptions()
        options.deliveryMemory = 2
        try await withDaemon(options) { h in
            let a = try h.node("test-a")
            let caseX = Made.caseId()
            let ids = (1...5).map { String(format: "test-a:held-%06d", $0) }
            try await a.send(batch: ids.map { Made.message($0, to: ["test-b"], caseId: caseX) })
            let seqs = try await a.acceptedSeqs(ids)
            try h.require(seqs.count == 5, "accepted \(seqs.count) of 5")
            _ = try await h.daemon.terminate()
            try await h.daemon.start()

            let raw = try h.raw("test-b")
            try await raw.hello("test-b", window: 1)
            let first: Deliver = try await raw.expect("DELIVER of the first", timeout: .seconds(20)) {
                if case .deliver(let deliver) = $0 { return deliver }
                return nil
            }
            h.expect(first.id == ids[0], "first delivered: \(first.id)")
            try await raw.send(.nack(Nack(seq: first.seq, retry: false, reason: "made-up: refused")))
            for id in ids.dropFirst() {
                var seen: [String] = []
                try await h.eventually("\(id)'s trail shows held once (last: \(seen))") {
                    try await raw.idle(for: .milliseconds(20))
                    seen = try await h.trail(sender: "test-a", id: id).compactMap { $0["event"] as? String }
                    return seen.filter { $0 == "held" }.count == 1
                }
            }
            let status = try await h.nodeStatus("test-b")
            h.expect(
                status["pending"] as? Int == 4 && status["dead_letters"] as? Int == 1, "STATUS of test-b: \(status)")
            try await raw.idle(for: .milliseconds(300))
            while let command = try await raw.next(timeout: .zero) {
                if case .deliver(let deliver) = command { h.fail("a held message was delivered: \(deliver.id)") }
            }
        }
    }
}
