import Foundation
import ReferralClient
import Testing

extension DaemonSuite {
    @Suite("referralctl backup while the broker serves")
    struct BackupTests {
        /// test-a sends to test-b, which is offline; `referralctl backup` copies the store while the broker
        /// serves, and refuses a relative path and an existing file without writing anything. The broker then
        /// stops, `referralctl restore` makes the copy the store of a fresh data directory (accepted with `referrald accept-rollback`,
        /// as deploy/README.md's runbook says), and the broker started on it delivers the pending messages to
        /// test-b when it connects.
        @Test func backupServesAsTheStoreOfARestartedBroker() async throws {
            try await withDaemon { h in
                let a = try h.node("test-a")
                let ids = (1...3).map { String(format: "test-a:backup-%06d", $0) }
                for id in ids { try await a.send(Made.message(id, to: ["test-b"], caseId: Made.caseId())) }
                let seqs = try await a.acceptedSeqs(ids)
                try h.require(seqs.count == ids.count, "accepted \(seqs.count) of \(ids.count)")

                let copy = h.daemon.directory + "/backup.sqlite"
                let made = try await h.referralctl(["backup", copy, "--admin", h.daemon.admin])
                try h.require(made.status == 0, "referralctl backup exited \(made.status): \(made.stderr)")
                h.expect(made.stdout.contains("backup written: \(copy)"), "referralctl backup printed \(made.stdout)")
                let size = try FileManager.default.attributesOfItem(atPath: copy)[.size] as? Int ?? 0
                h.expect(made.stdout.contains("\(size) bytes"), "the reported size is not \(size): \(made.stdout)")

                try await refusesWithoutWriting(h, existing: copy, size: size)

                let records = try await h.auditRecords()
                h.expect(
                    records.contains {
                        $0["event"] as? String == "store-backed-up"
                            && $0["detail"] as? String == "path=\(copy) bytes=\(size)"
                    }, "no store-backed-up audit record")

                let live = h.daemon.dataDirectory + "/broker.sqlite"
                let held = try await h.referralctl(["restore", copy, "--store", live])
                h.expect(held.status == 7, "restore over a running broker's store: exit \(held.status): \(held.stderr)")
                let damaged = h.daemon.directory + "/damaged.sqlite"
                try Data(try Data(contentsOf: URL(fileURLWithPath: copy)).prefix(size / 2))
                    .write(to: URL(fileURLWithPath: damaged))

                await h.stop(a)
                let stopped = try await h.daemon.terminate()
                try h.require(stopped == 0, "referrald did not stop cleanly")
                let data = h.daemon.dataDirectory
                try FileManager.default.moveItem(atPath: data, toPath: data + "-before-restore")
                try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: false)
                let refused = try await h.referralctl(["restore", damaged, "--store", data + "/broker.sqlite"])
                h.expect(refused.status == 8, "restore of a truncated backup: exit \(refused.status)")
                h.expect(
                    !FileManager.default.fileExists(atPath: data + "/broker.sqlite"), "a damaged backup was restored")
                let restored = try await h.referralctl(["restore", copy, "--store", data + "/broker.sqlite"])
                try h.require(restored.status == 0, "referralctl restore exited \(restored.status): \(restored.stderr)")
                // The high-water mark stayed with the old store: restoring a copy is accepting a rollback.
                let accepted = try await h.daemon.runOnce(["accept-rollback", "--config", h.daemon.configPath])
                try h.require(accepted.status == 0, "accept-rollback exited \(accepted.status):\n\(accepted.output)")

                try await h.daemon.start()
                let b = try h.node("test-b")
                let received = try await b.receive(count: ids.count)
                h.expect(Set(received.map(\.id)) == Set(ids), "test-b received \(received.map(\.id))")
            }
        }

        /// An existing file and a relative path (from referralctl and on the wire) are refused; nothing written.
        func refusesWithoutWriting(_ h: Harness, existing copy: String, size: Int) async throws {
            let again = try await h.referralctl(["backup", copy, "--admin", h.daemon.admin])
            h.expect(
                again.status == 1 && again.stderr.contains("BACKUP_REFUSED"),
                "an existing file: exit \(again.status): \(again.stderr)")
            let sizeAfter = try FileManager.default.attributesOfItem(atPath: copy)[.size] as? Int ?? 0
            h.expect(sizeAfter == size, "the existing copy was changed")
            let relative = try await h.referralctl(
                ["backup", "relative.sqlite", "--admin", h.daemon.admin], workingDirectory: h.daemon.directory)
            h.expect(relative.status == 1, "a relative path: exit \(relative.status)")
            let raw = try await h.admin("BACKUP", arguments: "{\"path\":\"relative.sqlite\"}")
            h.expect(!raw.ok && raw.object["code"] as? String == "BAD_REQUEST", "the broker took a relative path")
            let leftovers = try FileManager.default.contentsOfDirectory(atPath: h.daemon.directory)
            h.expect(
                !leftovers.contains { $0.hasPrefix("relative") || $0.hasSuffix(".partial") },
                "a refused backup left \(leftovers)")
        }
    }
}
