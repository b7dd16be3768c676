import Foundation
import GRDB
import Glibc
import SQLiteRaw

/// Why a backup was not restored: it failed `PRAGMA integrity_check` or the audit chain's verification, or
/// could not be read as a database. The store at the target was not touched.
public struct RestoreRefused: Error, Sendable, Hashable, CustomStringConvertible {
    public var description: String
}

extension BrokerStore {
    /// Replaces the store at `storePath` by the backup at `backup` (the broker stopped: the store's lock is taken
    /// first, so a running broker's store is refused with `.locked`). The backup is copied to a temporary name
    /// beside the store and THAT copy is checked (integrity, then the audit chain from record 1) and fsynced; the
    /// old store's `-wal`/`-shm` go, then the copy is renamed over the store. Returns the chain's verdict (intact).
    /// The old store's high-water mark stays: the broker then refuses the restored store until the operator
    /// runs `referrald accept-rollback` (the backup holds less than was acknowledged after it).
    public static func restore(from backup: String, to storePath: String) throws -> AuditVerification {
        let lock = try ExclusiveFileLock.brokerStore(at: storePath)
        defer { lock.release() }
        let directory = (storePath as NSString).deletingLastPathComponent
        let name = (storePath as NSString).lastPathComponent
        let temporary = "\(directory)/.\(name).\(UUID().uuidString).restoring"
        defer {
            for suffix in ["", "-wal", "-shm"] { unlink(temporary + suffix) }
        }
        do {
            try FileManager.default.copyItem(atPath: backup, toPath: temporary)
        } catch {
            throw BrokerStoreError(path: backup, operation: "restore", cause: "cannot copy it beside \(storePath)")
        }
        let verdict = try checkBackup(temporary, named: backup)
        try syncFile(temporary)
        // The old store's -wal and -shm go BEFORE the rename: a WAL left beside the restored file would be
        // replayed into it at the next open (a WAL does not say which database it belongs to). A crash in
        // between leaves the old store without its WAL, which this restore is replacing anyway: run it again.
        for suffix in ["-wal", "-shm"] { unlink(storePath + suffix) }
        try syncFile(directory)
        guard rename(temporary, storePath) == 0 else {
            throw BrokerStoreError(
                path: storePath, operation: "restore", cause: "rename: \(String(cString: strerror(errno)))")
        }
        try syncFile(directory)
        return verdict
    }

    /// `PRAGMA integrity_check`, then the audit chain from record 1 (no anchor: the copy is all there is).
    static func checkBackup(_ path: String, named original: String) throws -> AuditVerification {
        let queue: DatabaseQueue
        do {
            queue = try DatabaseQueue(path: path)
        } catch {
            throw RestoreRefused(description: "\(original) cannot be opened as an SQLite database")
        }
        defer { try? queue.close() }
        let verdict: AuditVerification
        do {
            verdict = try queue.read { db in
                guard try String.fetchAll(db, sql: "PRAGMA integrity_check") == ["ok"] else {
                    throw RestoreRefused(description: "\(original) fails PRAGMA integrity_check")
                }
                let cursor = try Row.fetchCursor(db, sql: "SELECT \(AuditChain.selectColumns) FROM audit ORDER BY id")
                var verifier = ChainVerifier(anchor: AuditChain.genesis)
                while let row = try cursor.next() {
                    if let verdict = verifier.check(row) { return verdict }
                }
                return verifier.finish()
            }
        } catch let refused as RestoreRefused {
            throw refused
        } catch {
            throw RestoreRefused(description: "\(original) cannot be read as a broker store (\(error))")
        }
        if case .broken(let atId, let problem) = verdict {
            throw RestoreRefused(description: "\(original): audit chain broken at record \(atId): \(problem)")
        }
        return verdict
    }
}
