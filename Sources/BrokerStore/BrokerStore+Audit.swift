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

/// The store's walk over GRDB rows: each row decoded (`AuditChain.decode`) and checked by StoreModel's
/// `AuditChainVerifier`, which every backend shares.
struct ChainVerifier {
    private var verifier: AuditChainVerifier

    init(anchor: AuditChain) {
        verifier = AuditChainVerifier(anchorId: anchor.lastId, anchorHash: anchor.lastHash)
    }

    /// nil to go on, or the verdict.
    mutating func check(_ row: Row) -> AuditVerification? {
        verifier.check(AuditChain.decode(row), rowId: AuditChain.rowId(row))
    }

    func finish() -> AuditVerification { verifier.finish() }
}
