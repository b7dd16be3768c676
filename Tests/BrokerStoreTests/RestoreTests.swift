import BrokerStore
import Foundation
import Testing

@Suite struct RestoreTests {
    /// A store with one message pending for nodeB, backed up to `<dir>/backup.sqlite`; a store of its own at
    /// `<dir>/target/broker.sqlite` (closed) to be replaced.
    func withBackupAndTarget(_ body: (_ backup: String, _ target: String) throws -> Void) throws {
        try withTempDirectory { directory in
            let original = try BrokerStore(path: directory + "/original/broker.sqlite")
            _ = try original.run([
                .accept(
                    AcceptUnit(
                        message: message("m1", to: ["nodeB"], at: 10),
                        audit: AuditEvent(
                            at: 10, event: .accepted, node: "nodeA", messageId: "m1", detail: "made-up-detail-0001")))
            ])
            let backup = directory + "/backup.sqlite"
            _ = try original.backup(to: backup)
            try original.close()
            let target = directory + "/target/broker.sqlite"
            try BrokerStore(path: target).close()
            try body(backup, target)
        }
    }

    func leftovers(beside target: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: (target as NSString).deletingLastPathComponent)
            .filter { $0.hasSuffix(".restoring") || $0.contains(".restoring-") }
    }

    @Test func aSoundBackupReplacesTheStoreAndItsStaleWal() throws {
        try withBackupAndTarget { backup, target in
            try Data("stale".utf8).write(to: URL(fileURLWithPath: target + "-wal"))
            try Data("stale".utf8).write(to: URL(fileURLWithPath: target + "-shm"))
            guard case .intact(let records, _) = try BrokerStore.restore(from: backup, to: target) else {
                Issue.record("not intact")
                return
            }
            #expect(records == 1)
            #expect(!FileManager.default.fileExists(atPath: target + "-wal"))
            #expect(!FileManager.default.fileExists(atPath: target + "-shm"))
            #expect(try leftovers(beside: target).isEmpty)
            let restored = try BrokerStore.acceptRollback(path: target)
            defer { try? restored.close() }
            #expect(try restored.loadOpenDeliveries().map(\.recipient) == ["nodeB"])
        }
    }

    @Test func aTruncatedBackupIsRefusedAndTheStoreLeftAlone() throws {
        try withBackupAndTarget { backup, target in
            let bytes = try Data(contentsOf: URL(fileURLWithPath: backup))
            try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: backup))
            let before = try Data(contentsOf: URL(fileURLWithPath: target))
            #expect(throws: RestoreRefused.self) { try BrokerStore.restore(from: backup, to: target) }
            #expect(try Data(contentsOf: URL(fileURLWithPath: target)) == before)
            #expect(try leftovers(beside: target).isEmpty)
        }
    }

    @Test func aBackupWithAnAuditRowAlteredIsRefusedAndTheStoreLeftAlone() throws {
        try withBackupAndTarget { backup, target in
            var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: backup)))
            let needle = Array("made-up-detail-0001".utf8)
            let at = try #require(
                (0...(bytes.count - needle.count)).first { Array(bytes[$0..<$0 + needle.count]) == needle })
            bytes[at + needle.count - 1] = UInt8(ascii: "2")
            try Data(bytes).write(to: URL(fileURLWithPath: backup))
            let before = try Data(contentsOf: URL(fileURLWithPath: target))
            let refusal = #expect(throws: RestoreRefused.self) { try BrokerStore.restore(from: backup, to: target) }
            #expect(refusal?.description.contains("audit chain broken at record 1") == true)
            #expect(try Data(contentsOf: URL(fileURLWithPath: target)) == before)
        }
    }

    @Test func aStoreHeldByABrokerIsNotReplaced() throws {
        try withBackupAndTarget { backup, target in
            let running = try BrokerStore(path: target)
            defer { try? running.close() }
            let refusal = #expect(throws: BrokerStoreError.self) { try BrokerStore.restore(from: backup, to: target) }
            #expect(refusal?.kind == .locked)
            #expect(try leftovers(beside: target).isEmpty)
        }
    }
}
