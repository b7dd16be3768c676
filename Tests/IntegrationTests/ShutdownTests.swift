import Foundation
import ReferralClient
import ReferralProtocol
import Testing

extension DaemonSuite {
    @Suite("Graceful stop")
    struct ShutdownTests {
        /// With deliveries pending for an offline node, SIGTERM stops the broker with exit code 0; after a
        /// restart on the same endpoint the node connects and receives everything, and the sender (which
        /// stayed up and reconnected by itself) gets every receipt.
        @Test func sigtermThenRestartDeliversEverything() async throws {
            try await withDaemon { h in
                let a = try h.node("test-a")
                let ids = (1...30).map { String(format: "test-a:before-stop-%06d", $0) }
                try await a.send(
                    batch: ids.map {
                        Made.message($0, to: ["test-b"], priority: $0.hasSuffix("7") ? .urgent : .routine)
                    })
                let seqs = try await a.acceptedSeqs(ids)
                try h.require(seqs.count == ids.count, "accepted \(seqs.count) of \(ids.count)")

                let status = try await h.daemon.terminate(timeout: .seconds(10))
                h.expect(
                    status == 0,
                    "referrald did not exit 0 within 10 s after SIGTERM (status \(status.map(String.init) ?? "none"))")
                if status == nil { try await h.daemon.kill9() }

                try await h.daemon.start()
                let b = try h.node("test-b")
                let received = try await b.receive(count: ids.count)
                h.expect(Set(received.map(\.id)) == Set(ids), "B received \(received.count) of \(ids.count)")
                h.expect(received.allSatisfy { seqs[$0.id] == $0.seq }, "seqs changed across the restart")
                for id in ids {
                    let receipts = try await a.waitForReceipts(of: id, count: 1, timeout: .seconds(20))
                    h.expect(receipts.count == 1 && receipts[0].delivered, "receipts of \(id): \(receipts)")
                }
            }
        }
    }
}
