import Foundation
import ReferralClient
import ReferralProtocol
import Testing

extension DaemonSuite {
    /// Issue 8, item 22: a broker whose operator accepted the loss of what it had acknowledged (a lost `-wal`,
    /// `referrald accept-rollback`) has a new store epoch; its nodes send again what they hold unreceipted, and
    /// the recipients get every message exactly once (1/RBP §7.2).
    @Suite("Resend after a store rollback")
    struct StoreRollbackResendTests {
        @Test func messagesTheBrokerForgotAreSentAgainAndArriveOnce() async throws {
            try await withDaemon { h in
                let a = try h.node("test-a")
                // test-b is offline throughout: nothing it is sent gets a receipt before the loss.
                let kept = "test-a:rollback-000000"
                _ = try await a.send(Made.message(kept, to: ["test-b"]))
                try h.require(try await a.acceptedSeqs([kept]).count == 1, "first SEND not accepted")
                // A clean stop checkpoints the first message into the main file; it survives the loss.
                h.expect(try await h.daemon.terminate() == 0, "the broker did not stop cleanly")
                try await h.daemon.start()
                let lost = (1...40).map { String(format: "test-a:rollback-%06d", $0) }
                try await a.send(batch: lost.map { Made.message($0, to: ["test-b"]) })
                try h.require(try await a.acceptedSeqs(lost).count == lost.count, "not every SEND was accepted")
                try await h.daemon.kill9()
                try FileManager.default.removeItem(atPath: h.daemon.dataDirectory + "/broker.sqlite-wal")
                let (status, output) = try await h.daemon.startExpectingRefusal()
                try h.require(status == 81, "exited \(status), not 81:\n\(output)")
                let accepted = try await h.daemon.runOnce(["accept-rollback", "--config", h.daemon.configPath])
                try h.require(accepted.status == 0, "accept-rollback exited \(accepted.status):\n\(accepted.output)")
                try await h.daemon.start()

                // test-a reconnects, sees the new epoch and sends its unreceipted messages again.
                let b = try h.node("test-b")
                let all = [kept] + lost
                let received = try await b.receive(count: all.count, timeout: .seconds(30))
                let ids = received.map(\.id)
                let missing = Set(all).subtracting(ids).sorted()
                h.expect(missing.isEmpty, "test-b got \(ids.count) of \(all.count), missing \(missing.prefix(5)), ...")
                h.expect(ids.count == Set(ids).count, "a message reached the application twice")
                for message in received where message.body != Made.body(message.id) {
                    h.fail("\(message.id) arrived with other content")
                }
                // Nothing more comes: no second copy of anything.
                h.expect(try await b.nextMessage(timeout: .seconds(2)) == nil, "a message arrived a second time")
                // With every receipt in, test-a's outbox drops the bodies (a resend is no longer possible nor needed).
                try await h.eventually("test-a got every receipt", timeout: .seconds(20)) {
                    try all.allSatisfy { try !a.receipts(for: $0).isEmpty }
                }
            }
        }

        /// test-b received the messages before the loss, but test-a (stopped) never got their receipts: test-a
        /// sends them again, the broker delivers them again, and test-b's inbox drops every copy.
        @Test func aRecipientThatHadTheMessagesDropsTheCopies() async throws {
            try await withDaemon { h in
                var a = try h.node("test-a")
                let ids = (1...20).map { String(format: "test-a:copies-%06d", $0) }
                // A clean restart: test-a has recorded the store's epoch, and the WAL starts empty.
                _ = try await a.send(Made.message("test-a:copies-000000", to: ["test-c"]))
                try h.require(try await a.acceptedSeqs(["test-a:copies-000000"]).count == 1, "first SEND not accepted")
                h.expect(try await h.daemon.terminate() == 0, "the broker did not stop cleanly")
                try await h.daemon.start()
                try await a.send(batch: ids.map { Made.message($0, to: ["test-b"]) })
                try h.require(try await a.acceptedSeqs(ids).count == ids.count, "not every SEND was accepted")
                await h.stop(a)
                let b = try h.node("test-b")
                let first = try await b.receive(count: ids.count)
                try h.require(first.count == ids.count, "test-b got \(first.count) of \(ids.count) before the loss")

                try await h.daemon.kill9()
                try FileManager.default.removeItem(atPath: h.daemon.dataDirectory + "/broker.sqlite-wal")
                let (status, output) = try await h.daemon.startExpectingRefusal()
                try h.require(status == 81, "exited \(status), not 81:\n\(output)")
                let accepted = try await h.daemon.runOnce(["accept-rollback", "--config", h.daemon.configPath])
                try h.require(accepted.status == 0, "accept-rollback exited \(accepted.status):\n\(accepted.output)")
                try await h.daemon.start()

                a = try h.node("test-a")
                // Every message is delivered again and acknowledged (the receipts say so), none reaches the
                // application a second time.
                try await h.eventually("test-a got a receipt for every message", timeout: .seconds(20)) {
                    try ids.allSatisfy { try a.receipts(for: $0).contains { $0.recipient == "test-b" && $0.delivered } }
                }
                h.expect(try await b.nextMessage(timeout: .seconds(1)) == nil, "a message reached test-b twice")
            }
        }
    }
}
