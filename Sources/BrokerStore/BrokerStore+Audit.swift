import GRDB
import ReferralProtocol

// The audit trail: verification and export (docs/AUDIT.md). Records are appended by units of store work inside
// `run(_:)`; the encoding and the chain are documented on `AuditChain`.

extension BrokerStore {
    /// Recomputes the hash chain from record 1, streaming (constant memory, one read transaction; a few
    /// microseconds per record, during which the store does nothing else).
    ///
    /// Reports the first bad record: `.broken(atId:problem:)` with an `AuditVerification.Problem`:
    /// - "record missing before this one": the id does not follow the previous one (deleted records; the first
    ///   record must have id 1);
    /// - "record changed": its hash does not match SHA-256(previous hash || its canonical bytes), and the next
    ///   record still chains to its stored hash, or nothing says it was moved; also for a row that cannot be a
    ///   record the store wrote (wrong types, invalid UTF-8, a hash that is not 32 octets);
    /// - "records out of order": its hash does not match, the next record does not chain to it either, and the
    ///   times run backwards around it (or the ids do);
    /// - "records missing at the end" / "chain rewritten": checked against the newest id and hash this store
    ///   wrote or loaded at open (an anchor in memory only: a store opened after the edit cannot see them).
    /// Otherwise `.intact` with the number of records and the newest hash.
    public func verifyAudit() throws -> AuditVerification {
        let anchor = auditTip
        return try read("verifyAudit") { db in
            let cursor = try Row.fetchCursor(
                db, sql: "SELECT \(AuditChain.selectColumns) FROM audit ORDER BY id")
            var verifier = ChainVerifier(anchor: anchor)
            while let row = try cursor.next() {
                if let verdict = verifier.check(row) { return verdict }
            }
            return verifier.finish()
        }
    }

    /// The records with `at >= since` (milliseconds), in id order, at most `limit` of them (nil: all). The
    /// records are returned as stored; run `verifyAudit()` to know whether they can be trusted.
    /// Throws if a selected row cannot be a record the store wrote (wrong types, invalid UTF-8, bad hash size).
    public func exportAudit(since: Int64, limit: Int?) throws -> [AuditRecordRow] {
        if let limit, limit <= 0 { return [] }
        return try read("exportAudit") { db in
            // The first id with `at >= since` comes from the `audit_at` index (left alone, SQLite would scan the
            // whole table in id order); from there a rowid range scan, still filtered by time (clocks may step
            // back), stopping at `limit`.
            let cursor = try Row.fetchCursor(
                db,
                sql: """
                    SELECT \(AuditChain.selectColumns) FROM audit
                    WHERE id >= (SELECT min(id) FROM audit INDEXED BY audit_at WHERE at >= ?1) AND at >= ?1
                    ORDER BY id LIMIT ?2
                    """,
                arguments: [since, limit.map(Int64.init) ?? -1])
            var rows: [AuditRecordRow] = []
            while let row = try cursor.next() {
                guard let stored = AuditChain.decode(row) else {
                    let id = AuditChain.rowId(row).map { "\($0)" } ?? "?"
                    throw DatabaseError(message: "audit record \(id) is malformed")
                }
                rows.append(AuditRecordRow(id: stored.id, entry: stored.entry, hash: SHA256.hex(stored.hash)))
            }
            return rows
        }
    }

    /// One JSON line (without the newline) for a provincial audit system: the record's canonical object with a
    /// 13th member `"hash"` (64 lowercase hex digits) before the closing brace:
    ///
    ///     {"id":1,"at":1700000000000,"event":"accepted","node":"school-1","peer":null,"keyFingerprint":null,
    ///      "messageId":"m-1","seq":7,"recipient":null,"kind":"referral","code":null,"detail":null,
    ///      "hash":"9282c9a3685b6b56d043c378ac71f7f0c8ad89b6f9cb1cdfc88111c1218a3803"}
    ///
    /// (one line in reality). Every member is always present, absent values are `null`. Removing `,"hash":"…"`
    /// gives back the canonical bytes, so a receiver can check the chain itself: hash(n) = SHA-256(hash(n-1) ||
    /// canonical(n)), with 32 zero octets before record 1.
    public static func jsonLine(_ row: AuditRecordRow) -> String {
        var writer = JSONWriter(reservingCapacity: 320)
        writer.beginObject()
        AuditChain.writeMembers(id: row.id, row.entry, into: &writer)
        writer.key("hash")
        writer.string(row.hash)
        writer.endObject()
        return String(decoding: writer.bytes, as: UTF8.self)
    }
}

/// Walks the records in id order, checking that each one chains to the STORED hash of the one before it. That is
/// equivalent to recomputing the whole chain (by induction), and it localises damage: an edited record breaks its
/// own link only, so the next record, which still chains to the edited record's stored hash, tells "changed" from
/// "moved". Hence one record of lookahead after the first bad link.
struct ChainVerifier {
    let anchor: AuditChain
    private var expectedId: Int64 = 1
    private var previousHash = AuditChain.zeroHash
    private var previousAt: Int64?
    private var count = 0
    private var suspect: Suspect?

    private struct Suspect {
        var id: Int64
        var at: Int64?
        var previousAt: Int64?
        var storedHash: [UInt8]?
    }

    init(anchor: AuditChain) {
        self.anchor = anchor
    }

    /// nil to go on, or the verdict.
    mutating func check(_ row: Row) -> AuditVerification? {
        let stored = AuditChain.decode(row)
        if let suspect {
            // The row after the first bad link: does it chain to the bad record's stored hash?
            var chainsToSuspect = false
            if let stored, let hash = suspect.storedHash, stored.id == suspect.id + 1 {
                let canonical = AuditChain.canonicalBytes(id: stored.id, stored.entry)
                chainsToSuspect = AuditChain.chainHash(previous: hash, canonical: canonical) == stored.hash
            }
            if chainsToSuspect { return .broken(atId: suspect.id, problem: AuditVerification.Problem.changed) }
            return verdict(for: suspect, nextAt: stored?.entry.at)
        }
        guard let id = stored?.id ?? AuditChain.rowId(row) else {
            return .broken(atId: expectedId, problem: AuditVerification.Problem.changed)
        }
        if id > expectedId { return .broken(atId: id, problem: AuditVerification.Problem.missing) }
        if id < expectedId { return .broken(atId: id, problem: AuditVerification.Problem.outOfOrder) }
        guard let stored else {
            suspect = Suspect(id: id, at: nil, previousAt: previousAt, storedHash: nil)
            return nil
        }
        let canonical = AuditChain.canonicalBytes(id: id, stored.entry)
        guard AuditChain.chainHash(previous: previousHash, canonical: canonical) == stored.hash else {
            suspect = Suspect(id: id, at: stored.entry.at, previousAt: previousAt, storedHash: stored.hash)
            return nil
        }
        if id == anchor.lastId && stored.hash != anchor.lastHash {
            return .broken(atId: id, problem: AuditVerification.Problem.rewritten)
        }
        previousHash = stored.hash
        previousAt = stored.entry.at
        expectedId += 1
        count += 1
        return nil
    }

    func finish() -> AuditVerification {
        if let suspect { return verdict(for: suspect, nextAt: nil) }
        if anchor.lastId >= expectedId {
            return .broken(atId: expectedId, problem: AuditVerification.Problem.missingAtEnd)
        }
        return .intact(records: count, lastHash: SHA256.hex(previousHash))
    }

    /// A bad link that the next record does not vouch for: moved if time runs backwards around it.
    private func verdict(for suspect: Suspect, nextAt: Int64?) -> AuditVerification {
        if let at = suspect.at {
            if let previousAt = suspect.previousAt, at < previousAt {
                return .broken(atId: suspect.id, problem: AuditVerification.Problem.outOfOrder)
            }
            if let nextAt, nextAt < at {
                return .broken(atId: suspect.id, problem: AuditVerification.Problem.outOfOrder)
            }
        }
        return .broken(atId: suspect.id, problem: AuditVerification.Problem.changed)
    }
}
