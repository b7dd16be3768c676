import Foundation
import ReferralClient
import ReferralProtocol
import Testing

extension DaemonSuite {
    /// A held case across a restart (docs/DESIGN.md, "a window on the store"): the deliveries held behind a dead
    /// letter stay in the store, counted, and each shows `held` on its trail (ADMIN-1), also those that waited beyond
    /// the broker's memory.
    @Suite("a held case across a restart")
    struct HeldRestartTests {
        /// test-b has five messages of one case waiting (memory: 2); the broker restarts; test-b refuses the first
        /// for good: the four others each show `held` once, are never delivered, and STATUS counts them pending.
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
}
