import BrokerStore
import Foundation
import Testing

@Suite struct BackupTests {
    /// The copy is a whole store: opened on its own, it has the message and the audit chain of the original. Its
    /// high-water mark stayed with the original, so the copy opens as a restore does: accepting the rollback.
    @Test func copyOpensAsAStoreWithTheSameMessagesAndChain() throws {
        try withStore { store, storePath in
            let directory = (storePath as NSString).deletingLastPathComponent
            _ = try store.run([
                .accept(
                    AcceptUnit(
                        message: message("m1", to: ["nodeB"], at: 10),
                        audit: AuditEvent(at: 10, event: .accepted, node: "nodeA", messageId: "m1")))
            ])
            let original = try store.verifyAudit()
            let copy = directory + "/copies/backup.sqlite"
            try FileManager.default.createDirectory(atPath: directory + "/copies", withIntermediateDirectories: false)
            let bytes = try store.backup(to: copy)
            #expect(bytes == (try FileManager.default.attributesOfItem(atPath: copy)[.size] as? Int64))
            #expect(try FileManager.default.contentsOfDirectory(atPath: directory + "/copies") == ["backup.sqlite"])

            #expect(throws: BrokerStoreError.self) { try BrokerStore(path: copy) }
            let restored = try BrokerStore.acceptRollback(path: copy)
            defer { try? restored.close() }
            #expect(restored.acceptedRollback != nil)
            // The original's chain, then the store-rolled-back record.
            guard case .intact(let records, _) = try restored.verifyAudit(), case .intact(let before, _) = original
            else {
                Issue.record("the copy's chain does not verify")
                return
            }
            #expect(records == before + 1)
            #expect(try restored.loadOpenDeliveries().map(\.recipient) == ["nodeB"])
        }
    }

    @Test(arguments: ["relative.sqlite", "/nonexistent-folder-of-the-test/backup.sqlite"])
    func unusableTargetIsRefusedBeforeWriting(_ path: String) throws {
        try withStore { store, _ in
            #expect(throws: BackupRefused.self) { try store.backup(to: path) }
            #expect(!FileManager.default.fileExists(atPath: path))
        }
    }

    @Test func existingFileIsRefusedAndLeftAlone() throws {
        try withStore { store, storePath in
            let directory = (storePath as NSString).deletingLastPathComponent
            let copy = directory + "/backup.sqlite"
            try Data("made-up".utf8).write(to: URL(fileURLWithPath: copy))
            #expect(throws: BackupRefused.self) { try store.backup(to: copy) }
            #expect(try Data(contentsOf: URL(fileURLWithPath: copy)) == Data("made-up".utf8))
            let partial = try FileManager.default.contentsOfDirectory(atPath: directory).filter {
                $0.hasSuffix(".partial")
            }
            #expect(partial.isEmpty)
        }
    }
}
