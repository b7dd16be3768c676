import Foundation
import GRDB
import SQLiteRaw

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

// The checks `BrokerStore.init` makes before and after opening the file (issue 8): each failure is a
// `BrokerStoreError` of its own `Kind`, naming the file and the fix.
extension BrokerStore {
    /// The store's folder must be a directory (created, mode 0700, if missing) that this process can write.
    static func prepareFolder(of path: String) throws {
        let folder = (path as NSString).deletingLastPathComponent
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else {
                throw BrokerStoreError(
                    path: path, operation: "open",
                    cause: "\(folder) is not a directory: point data_directory at a folder (or move that file away)",
                    kind: .notADirectory)
            }
        } else {
            do {
                try FileManager.default.createDirectory(
                    atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            } catch {
                var ancestor = (folder as NSString).deletingLastPathComponent
                while !ancestor.isEmpty && ancestor != "/" && !FileManager.default.fileExists(atPath: ancestor) {
                    ancestor = (ancestor as NSString).deletingLastPathComponent
                }
                let writable = access(ancestor, W_OK) == 0
                throw BrokerStoreError(
                    path: path, operation: "open",
                    cause: "cannot create the folder \(folder): \(ancestor) is "
                        + (writable ? "not a directory" : "not writable (read-only file system or permissions)"),
                    kind: writable ? .notADirectory : .readOnly)
            }
        }
        for (target, what) in [(folder, "the folder"), (path, "the store file")]
        where FileManager.default.fileExists(atPath: target) && access(target, W_OK) != 0 {
            let why = errno == EROFS ? "the file system is mounted read-only" : "no write permission"
            throw BrokerStoreError(
                path: path, operation: "open",
                cause: "\(what) \(target) is not writable (\(why)): referrald writes its store there; "
                    + "remount it read-write or give referrald's user write permission",
                kind: .readOnly)
        }
    }

    /// Runs `open`, telling its `DurableSQLite.Refusal` (a file that is not a broker store, or is newer: left
    /// unchanged) as the `BrokerStoreError` of its kind, naming the file and the fix.
    static func refusingUnchanged<T>(_ path: String, _ open: () throws -> T) throws -> T {
        do {
            return try open()
        } catch DurableSQLite.Refusal.identity(let identity, let reason) {
            let foreign = if case .foreign = identity { true } else { false }
            throw BrokerStoreError(
                path: path, operation: "open",
                cause: "\(path) is not a store this broker can use: \(reason). It was left unchanged; "
                    + (foreign ? "point data_directory at a folder of its own." : "run the newer referrald."),
                kind: foreign ? .foreign : .newer)
        } catch DurableSQLite.Refusal.superseded(let applied) {
            throw BrokerStoreError(
                path: path, operation: "open",
                cause: "\(path) was written by a newer version (migrations: \(applied.joined(separator: ", "))). "
                    + "It was left unchanged; run the newer referrald.",
                kind: .newer)
        }
    }

    /// Whether a non-empty file is at `path`; throws `.damaged` when it is not an SQLite database at all (cut
    /// short, overwritten), before SQLite opens it.
    static func checkFile(_ path: String) throws -> Bool {
        guard FileManager.default.fileExists(atPath: path) else { return false }
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw BrokerStoreError(
                path: path, operation: "open",
                cause: "\(path) cannot be read: give referrald's user read and write permission", kind: .readOnly)
        }
        defer { try? handle.close() }
        let header = (try? handle.read(upToCount: 100)) ?? Data()
        if header.isEmpty { return false }
        guard header.count == 100, header.starts(with: Array("SQLite format 3\0".utf8)) else {
            throw BrokerStoreError(
                path: path, operation: "open",
                cause: "\(path) is not an SQLite database (truncated or overwritten): restore it from a backup "
                    + "(deploy/README.md, \"Store recovery\"); it was left unchanged",
                kind: .damaged)
        }
        return true
    }

    /// Loads the audit chain's tip, the highest seq and the epoch.
    func loadPosition() throws {
        try dbQueue.read { db in
            auditTip = try AuditChain.load(db)
            highestSeq = try Int64.fetchOne(db, sql: "SELECT seq FROM sqlite_sequence WHERE name = 'messages'") ?? 0
            epoch = [UInt8](try Data.fetchOne(db, sql: "SELECT epoch FROM store_identity") ?? Data())
        }
    }

    /// Where the store stands now, as a mark.
    var position: HighWaterMark {
        HighWaterMark(epoch: epoch, auditId: auditTip.lastId, auditHash: auditTip.lastHash, seq: highestSeq)
    }

    /// Compares the store with its high-water mark (`recorded`, nil if there is no mark file), then opens the
    /// mark file and brings it up to the store. `hadEpoch`: the store had its identity before this open (a mark
    /// file must then exist).
    func openMark(recorded: HighWaterMark?, markPath: String, hadEpoch: Bool, accepting: Bool) throws {
        let current = position
        var problem: String?
        if let recorded {
            if recorded.acknowledgedAnything && recorded.epoch != current.epoch {
                problem =
                    "\(markPath) belongs to another store (a different epoch): the store file was replaced or "
                    + "restored from elsewhere; its mark says \(recorded.summary) was acknowledged"
            } else if !current.covers(recorded) && recorded.acknowledgedAnything {
                problem =
                    "the store went back in time: it holds \(current.summary), but \(recorded.summary) was "
                    + "acknowledged (a -wal file deleted or cut, or an older copy of the store)"
            }
        } else if hadEpoch {
            problem = "\(markPath) is missing: nothing proves the store still holds all it acknowledged"
        }
        if let problem {
            guard accepting else { throw Self.rolledBack(path, markPath, problem) }
            try acceptLoss(problem: problem, recorded: recorded)
        } else {
            auditTailProblem = try verifyAuditTail(anchor: recorded)
        }
        let file = try HighWaterMarkFile(path: markPath, initial: position)
        if recorded != position { try file.write(position) }
        mark = file
    }

    /// The operator accepted the loss: seqs are never given twice (AUTOINCREMENT's counter is raised to the
    /// mark's), nor receipt numbers (nodes deduplicate receipts by number: a reused one would be dropped as
    /// known; each lost receipt went with one lost audit record, so the counter skips as many), the store gets
    /// a new epoch (nodes can tell it from the one that acknowledged their messages), and the audit chain
    /// records what was lost.
    private func acceptLoss(problem: String, recorded: HighWaterMark?) throws {
        let before = position
        let seq = max(recorded?.seq ?? 0, highestSeq)
        let lostAuditRecords = max(0, (recorded?.auditId ?? 0) - before.auditId)
        try write("acceptRollback") { db in
            try db.inTransaction(.immediate) {
                try db.execute(
                    sql: """
                        INSERT INTO sqlite_sequence (name, seq) SELECT name, 0 FROM (SELECT 'messages' AS name
                            UNION ALL SELECT 'receipts') AS t
                        WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence s WHERE s.name = t.name)
                        """)
                try db.execute(sql: "UPDATE sqlite_sequence SET seq = ? WHERE name = 'messages'", arguments: [seq])
                try db.execute(
                    sql: """
                        UPDATE sqlite_sequence SET seq = max(seq, (SELECT coalesce(max(id), 0) FROM receipts)) + ?
                        WHERE name = 'receipts'
                        """, arguments: [lostAuditRecords])
                try db.execute(sql: "UPDATE store_identity SET epoch = randomblob(16)")
                return .commit
            }
        }
        try loadPosition()
        let lost =
            recorded.map {
                "acknowledged up to audit record \($0.auditId) and seq \($0.seq); the store held audit record "
                    + "\(before.auditId) and seq \(before.seq)"
            } ?? "no high-water mark; the store held audit record \(before.auditId) and seq \(before.seq)"
        acceptedRollback = "\(problem) (\(lost))"
        var batch = auditTip
        try write("acceptRollback") { db in
            try db.inTransaction(.immediate) {
                try batch.append(
                    AuditEvent(
                        at: Int64(Date().timeIntervalSince1970 * 1000), event: AuditEvent.Name.storeRolledBack,
                        detail: lost),
                    insert: try db.cachedStatement(sql: AuditChain.insertSQL))
                return .commit
            }
        }
        auditTip = batch
    }

    /// Checks the newest `tailLength` audit records chain to each other, and that the record the mark names
    /// still has the mark's hash. nil when intact, else what is wrong (records named by id).
    func verifyAuditTail(anchor: HighWaterMark?, tailLength: Int = 1_000) throws -> String? {
        try read("verifyAuditTail") { db in
            if let anchor, anchor.auditId > 0 {
                let hash = try Data.fetchOne(db, sql: "SELECT hash FROM audit WHERE id = ?", arguments: [anchor.auditId])
                if hash.map([UInt8].init) != anchor.auditHash {
                    return "audit record \(anchor.auditId) is not the one the high-water mark recorded (chain rewritten)"
                }
            }
            let rows = try Row.fetchAll(
                db, sql: "SELECT \(AuditChain.selectColumns) FROM audit ORDER BY id DESC LIMIT ?",
                arguments: [tailLength + 1])
            var previous: AuditChain.Stored?
            for row in rows.reversed() {
                guard let stored = AuditChain.decode(row) else {
                    return "audit record \(AuditChain.rowId(row).map(String.init) ?? "?") is malformed"
                }
                if let previous {
                    guard stored.id == previous.id + 1 else {
                        return "audit records are missing before record \(stored.id)"
                    }
                    let canonical = AuditChain.canonicalBytes(id: stored.id, stored.entry)
                    guard AuditChain.chainHash(previous: previous.hash, canonical: canonical) == stored.hash else {
                        return "audit record \(stored.id) was changed (its hash does not chain to record \(previous.id))"
                    }
                }
                previous = stored
            }
            return nil
        }
    }

    /// Opens the store at `path` although it holds less than its high-water mark says was acknowledged (after
    /// the operator restored what could be restored): see `acceptLoss`. `acceptedRollback` says what was lost
    /// (nil when nothing was). `referrald accept-rollback`.
    public static func acceptRollback(path: String) throws -> BrokerStore {
        try BrokerStore(path: path, acceptingRollback: true)
    }

    static func rolledBack(_ path: String, _ markPath: String, _ problem: String) -> BrokerStoreError {
        BrokerStoreError(
            path: path, operation: "open",
            cause: "\(problem). Messages the broker acknowledged may be lost; it will not start on this store. See "
                + "deploy/README.md, \"Store recovery\": restore the missing files, or accept the loss with "
                + "`referrald accept-rollback --config FILE`",
            kind: .rolledBack)
    }
}

extension HighWaterMark {
    var acknowledgedAnything: Bool { auditId > 0 || seq > 0 }

    var summary: String { "audit records up to \(auditId) and seqs up to \(seq)" }
}
