import BrokerStore
import Foundation
import GRDB
import Testing

/// Opening a store refuses, each with its own kind and before writing anything, what the broker must not run on
/// (issue 8): a store another process holds, a file that is not ours or is newer, one that is not a database, and
/// a store that holds less than it acknowledged (its high-water mark is ahead of it).
@Suite struct StoreOpeningTests {
    private func refusal(_ path: String) -> BrokerStoreError? {
        #expect(throws: BrokerStoreError.self) { try BrokerStore(path: path) }
    }

    private func bytes(_ path: String) -> Data? { FileManager.default.contents(atPath: path) }

    @Test func aSecondOpenIsRefusedAtOnceAsLocked() throws {
        try withStore { store, path in
            _ = try store.run([.accept(AcceptUnit(message: message("m1")))])
            let started = ContinuousClock.now
            let error = refusal(path)
            #expect(error?.kind == .locked)
            #expect(error?.description.contains(path + ".lock") == true)
            #expect(ContinuousClock.now - started < .seconds(1), "the second open waited for SQLite's busy timeout")
            // Once the first one is closed, the store opens again.
            try store.close()
            try BrokerStore(path: path).close()
        }
    }

    /// Another program (an sqlite3 shell) in a write transaction on the file when the broker starts: the store
    /// is refused as locked (once SQLite's busy timeout runs out), instead of opening and failing its commits.
    @Test func aStoreHeldByAnotherProgramIsRefusedAsLocked() throws {
        try withTempDirectory { dir in
            let path = dir + "/broker.sqlite"
            try BrokerStore(path: path).close()
            let other = try DatabaseQueue(path: path)
            defer { try? other.close() }
            try other.writeWithoutTransaction { db in
                try db.execute(sql: "BEGIN EXCLUSIVE")
                let error = refusal(path)
                #expect(error?.kind == .locked, "\(String(describing: error))")
                try db.execute(sql: "ROLLBACK")
            }
        }
    }

    @Test func theWALIndexIsInHeapMemoryAndTheFileIsMarked() throws {
        try withStore { store, path in
            _ = try store.run([.accept(AcceptUnit(message: message("m1")))])
            let settings = try store.settings()
            #expect(settings.lockingMode == "exclusive")
            #expect(settings.applicationId == 0x5242_524B)
            #expect(settings.schemaVersion == settings.migrations.count)
            #expect(FileManager.default.fileExists(atPath: path + "-wal"))
            #expect(!FileManager.default.fileExists(atPath: path + "-shm"), "the WAL index is in a shared file")
            // Another connection (an sqlite3 shell, another program) cannot read or write it meanwhile.
            #expect(throws: DatabaseError.self) {
                let other = try DatabaseQueue(path: path)
                defer { try? other.close() }
                _ = try other.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM messages") }
            }
        }
    }

    @Test func aForeignDatabaseIsRefusedUnchanged() throws {
        try withTempDirectory { dir in
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            let path = dir + "/broker.sqlite"
            let foreign = try DatabaseQueue(path: path)
            try foreign.write {
                try $0.execute(sql: "CREATE TABLE recipes (name TEXT); INSERT INTO recipes VALUES ('x')")
            }
            try foreign.close()
            let before = bytes(path)
            let error = refusal(path)
            #expect(error?.kind == .foreign)
            #expect(error?.description.contains(path) == true)
            #expect(error?.description.contains("left unchanged") == true)
            #expect(bytes(path) == before)
            #expect(!FileManager.default.fileExists(atPath: path + "-wal"))

            // A node's store (application_id RBND) is named as such.
            let node = dir + "/node.sqlite"
            let nodeStore = try DatabaseQueue(path: node)
            try nodeStore.writeWithoutTransaction { try $0.execute(sql: "PRAGMA application_id = \(0x5242_4E44)") }
            try nodeStore.close()
            #expect(refusal(node)?.description.contains("a referral node's store") == true)

            // Another application_id: refused too, even without tables.
            let other = dir + "/other.sqlite"
            let marked = try DatabaseQueue(path: other)
            try marked.writeWithoutTransaction { try $0.execute(sql: "PRAGMA application_id = 42") }
            try marked.close()
            #expect(refusal(other)?.kind == .foreign)
        }
    }

    @Test func aNewerStoreIsRefusedUnchanged() throws {
        try withTempDirectory { dir in
            let path = dir + "/broker.sqlite"
            let store = try BrokerStore(path: path)
            _ = try store.run([.accept(AcceptUnit(message: message("m1")))])
            try store.close()
            let editor = try DatabaseQueue(path: path)
            try editor.writeWithoutTransaction { try $0.execute(sql: "PRAGMA user_version = 999") }
            try editor.close()
            let before = bytes(path)
            let error = refusal(path)
            #expect(error?.kind == .newer)
            #expect(error?.description.contains("999") == true)
            #expect(bytes(path) == before)
        }
    }

    @Test func aFileThatIsNotADatabaseIsDamaged() throws {
        try withTempDirectory { dir in
            let path = dir + "/broker.sqlite"
            let store = try BrokerStore(path: path)
            _ = try store.run([.accept(AcceptUnit(message: message("m1")))])
            try store.close()
            let whole = try #require(bytes(path))
            try whole.prefix(60).write(to: URL(fileURLWithPath: path))  // cut inside the header
            #expect(refusal(path)?.kind == .damaged)
            // Cut in the middle (a copy that stopped half-way): SQLite finds fewer pages than its header says.
            try FileManager.default.removeItem(atPath: path)
            try FileManager.default.removeItem(atPath: dir + "/broker.highwater")
            let big = try BrokerStore(path: path)
            _ = try big.run(
                (1...300).map {
                    .accept(AcceptUnit(message: message("m\($0)", body: [UInt8](repeating: 7, count: 1_000))))
                })
            try big.close()
            let full = try #require(bytes(path))
            try full.prefix(full.count / 2).write(to: URL(fileURLWithPath: path))
            let cut = refusal(path)
            #expect(cut?.kind == .damaged)
            #expect(cut?.description.contains("restore it from a backup") == true)
            try Data((0..<8_192).map { UInt8(truncatingIfNeeded: $0 &* 7919) }).write(to: URL(fileURLWithPath: path))
            let random = refusal(path)
            #expect(random?.kind == .damaged)
            #expect(random?.description.contains("not an SQLite database") == true)
        }
    }

    @Test func aFolderThatIsAFileIsNotADirectory() throws {
        try withTempDirectory { dir in
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            try Data("x".utf8).write(to: URL(fileURLWithPath: dir + "/data"))
            let error = refusal(dir + "/data/broker.sqlite")
            #expect(error?.kind == .notADirectory)
            #expect(error?.description.contains("is not a directory") == true)
        }
    }

    /// What a `-wal` lost after kill -9 looks like: the main file as it was at the last checkpoint.
    @Test func aStoreThatLostItsWALIsRefusedThenTheLossCanBeAccepted() throws {
        try withTempDirectory { dir in
            let path = dir + "/broker.sqlite"
            var store = try BrokerStore(path: path)
            let first = try #require(
                try store.run([.accept(AcceptUnit(message: message("m1"))), .audit(auditEvent(1))])[0].storedSeq)
            try store.close()
            store = try BrokerStore(path: path)
            let second = try #require(
                try store.run([.accept(AcceptUnit(message: message("m2"))), .audit(auditEvent(2))])[0].storedSeq)
            let checkpointed = try #require(bytes(path))  // m2 is only in the -wal
            try store.close()
            try checkpointed.write(to: URL(fileURLWithPath: path))
            try? FileManager.default.removeItem(atPath: path + "-wal")

            let error = refusal(path)
            #expect(error?.kind == .rolledBack)
            #expect(error?.description.contains("went back in time") == true)
            #expect(error?.description.contains("seqs up to \(second)") == true)
            #expect(error?.description.contains("accept-rollback") == true)

            store = try BrokerStore.acceptRollback(path: path)
            #expect(store.acceptedRollback?.contains("seq \(second)") == true)
            // No seq is given twice, and the chain records the loss and stays intact.
            let next = try #require(try store.run([.accept(AcceptUnit(message: message("m3")))])[0].storedSeq)
            #expect(next > second && second > first)
            #expect(try store.verifyAudit().records == 2)
            #expect(try store.exportAudit(since: 0, limit: nil).last?.entry.event == "store-rolled-back")
            try store.close()
            try BrokerStore(path: path).close()
        }
    }

    /// Receipts acknowledged to their senders and lost with the WAL: their numbers are not given again (a node
    /// deduplicates receipts by number and would drop the new one as known).
    @Test func anAcceptedRollbackNeverReusesAReceiptNumber() throws {
        try withTempDirectory { dir in
            let path = dir + "/broker.sqlite"
            var store = try BrokerStore(path: path)
            let seq = try #require(
                try store.run([
                    .accept(AcceptUnit(message: message("m1", to: ["nodeB", "nodeC"]))), .audit(auditEvent(1)),
                ])[0].storedSeq)
            try store.close()
            store = try BrokerStore(path: path)
            let checkpointed = try #require(bytes(path))
            let lost = try #require(
                try store.runReceipts([
                    .settle(
                        Settlement(
                            seq: seq, recipient: "nodeB", caseId: nil, at: 2_000, attempts: 1, firstAttemptAt: 1_500,
                            outcome: .delivered, receiptId: 1, sender: "nodeA", messageId: "m1")),
                    .audit(auditEvent(2)),
                ])[0])
            try store.close()
            try checkpointed.write(to: URL(fileURLWithPath: path))
            try? FileManager.default.removeItem(atPath: path + "-wal")

            store = try BrokerStore.acceptRollback(path: path)
            defer { try? store.close() }
            // The machine numbers receipts after the store's last: the lost number stays given.
            let last = try store.lastReceiptId()
            #expect(last >= lost.id)
            let redelivered = StoreUnit.settle(
                Settlement(
                    seq: seq, recipient: "nodeC", caseId: nil, at: 3_000, attempts: 1, firstAttemptAt: 1_500,
                    outcome: .delivered,
                    receiptId: last + 1, sender: "nodeA", messageId: "m1"))
            #expect(try store.run([redelivered]) == [.settled])
            #expect(try store.lastReceiptId() == last + 1)
        }
    }

    @Test func aDeletedStoreWithAMarkIsRefused() throws {
        try withTempDirectory { dir in
            let path = dir + "/broker.sqlite"
            let store = try BrokerStore(path: path)
            _ = try store.run([.accept(AcceptUnit(message: message("m1"))), .audit(auditEvent(1))])
            try store.close()
            try FileManager.default.removeItem(atPath: path)
            let error = refusal(path)
            #expect(error?.kind == .rolledBack)
            #expect(error?.description.contains("missing or empty") == true)
            #expect(!FileManager.default.fileExists(atPath: path), "a new store was created")
        }
    }

    @Test func theAuditChainsTailIsCheckedAtOpen() throws {
        try withTempDirectory { dir in
            let path = dir + "/broker.sqlite"
            var store = try BrokerStore(path: path)
            try appendAudits(store, count: 6)
            #expect(store.auditTailProblem == nil)
            try store.close()
            try tamper(path, "UPDATE audit SET detail = 'edited' WHERE id = 5")
            store = try BrokerStore(path: path)
            #expect(store.auditTailProblem?.contains("record 5") == true)
            try store.close()
        }
        // A chain rewritten consistently from the start: AuditTamperTests.aChainRewrittenWhileStoppedIsSeenAgainstTheMark.
    }
}
