import PostgresNIO
import ReferralProtocol
import StoreModel

// The audit trail: verification and export (BrokerStore+Audit.swift on SQLite, same verdicts and rows). PostgreSQL
// text holds neither NUL nor invalid UTF-8, so a record's texts are read as text (SQLite reads them as BLOBs to see
// such edits); a hash that is not 32 octets still makes a row malformed.

extension PostgresBrokerStore {
    /// Rows of the chain read per statement by `verifyAudit` (constant memory, however long the trail).
    static let auditVerifyPage = 10_000

    /// Recomputes the hash chain from record 1 in id order, a page at a time, and reports the first bad record, as
    /// SQLite's `verifyAudit` does, against the newest id and hash this store wrote or loaded at open.
    public func verifyAudit() throws -> AuditVerification {
        let anchor = (id: auditTipId, hash: auditTipHash)
        return try reading("verifyAudit") {
            var verifier = PostgresChainVerifier<PostgresAuditHashing>(anchorId: anchor.id, anchorHash: anchor.hash)
            var afterId = Int64.min
            while true {
                let rows = try session.query(
                    """
                    SELECT \(unescaped: PostgresAuditRows.columns) FROM audit WHERE id > \(afterId)
                    ORDER BY id LIMIT \(Int64(Self.auditVerifyPage))
                    """
                ).rows
                for row in rows {
                    let (id, stored) = try PostgresAuditRows.decode(row)
                    if let verdict = verifier.check(id: id, stored) { return verdict }
                    afterId = id
                }
                if rows.count < Self.auditVerifyPage { return verifier.finish() }
            }
        }
    }

    /// The records with `at >= since`, in id order, at most `limit` (nil: all), as stored. Throws for a row that
    /// cannot be a record the store wrote (a hash that is not 32 octets).
    public func exportAudit(since: Int64, limit: Int?) throws -> [AuditRecordRow] {
        if let limit, limit <= 0 { return [] }
        return try reading("exportAudit") {
            try session.query(
                """
                SELECT \(unescaped: PostgresAuditRows.columns) FROM audit WHERE at >= \(since)
                ORDER BY id LIMIT \(limit.map(Int64.init))
                """
            ).rows.map { row in
                let (id, stored) = try PostgresAuditRows.decode(row)
                guard let stored else {
                    throw PostgresStoreError(
                        operation: "exportAudit", cause: "audit record \(id) is malformed", kind: .statement)
                }
                return AuditRecordRow(id: stored.id, entry: stored.entry, hash: SHA256.hex(stored.hash))
            }
        }
    }
}

/// The columns of an audit row and their decoding.
enum PostgresAuditRows {
    static let columns = """
        id, at, event, node, peer, key_fingerprint, message_id, seq, recipient, kind, code, detail, hash
        """

    struct Stored {
        var id: Int64
        var entry: AuditEvent
        var hash: [UInt8]
    }

    /// The row's id, and the record, nil when it cannot be one the store wrote (a hash that is not 32 octets).
    static func decode(_ row: PostgresRow) throws -> (Int64, Stored?) {
        let (id, at, event, node, peer, key, messageId, seq, recipient, kind, code, detail, hash) = try row.decode(
            (
                Int64, Int64, String, String?, String?, String?, String?, Int64?, String?, String?, String?, String?,
                ByteBuffer
            ).self)
        guard hash.readableBytes == 32 else { return (id, nil) }
        let entry = AuditEvent(
            at: at, storedEvent: event, node: node, peer: peer, keyFingerprint: key, messageId: messageId, seq: seq,
            recipient: recipient, kind: kind, code: code, detail: detail)
        return (id, Stored(id: id, entry: entry, hash: Array(buffer: hash)))
    }
}

/// Walks the records in id order, checking that each one chains to the STORED hash of the one before it, with one
/// record of lookahead after the first bad link to tell "changed" from "moved": the same walk and verdicts as
/// `ChainVerifier` of the SQLite store (BrokerStore+Audit.swift), over decoded rows.
struct PostgresChainVerifier<Hashing: AuditChainHashing> {
    let anchorId: Int64
    let anchorHash: [UInt8]
    private var expectedId: Int64 = 1
    private var previousHash = [UInt8](repeating: 0, count: 32)
    private var previousAt: Int64?
    private var count = 0
    private var suspect: Suspect?

    private struct Suspect {
        var id: Int64
        var at: Int64?
        var previousAt: Int64?
        var storedHash: [UInt8]?
    }

    init(anchorId: Int64, anchorHash: [UInt8]) {
        self.anchorId = anchorId
        self.anchorHash = anchorHash
    }

    /// nil to go on, or the verdict. `stored` is nil for a malformed row.
    mutating func check(id: Int64, _ stored: PostgresAuditRows.Stored?) -> AuditVerification? {
        if let suspect {
            // The row after the first bad link: does it chain to the bad record's stored hash?
            var chainsToSuspect = false
            if let stored, let hash = suspect.storedHash, stored.id == suspect.id + 1 {
                let canonical = Hashing.canonicalBytes(id: stored.id, stored.entry)
                chainsToSuspect = Hashing.chainHash(previous: hash, canonical: canonical) == stored.hash
            }
            if chainsToSuspect { return .broken(atId: suspect.id, problem: AuditVerification.Problem.changed) }
            return verdict(for: suspect, nextAt: stored?.entry.at)
        }
        if id > expectedId { return .broken(atId: id, problem: AuditVerification.Problem.missing) }
        if id < expectedId { return .broken(atId: id, problem: AuditVerification.Problem.outOfOrder) }
        guard let stored else {
            suspect = Suspect(id: id, at: nil, previousAt: previousAt, storedHash: nil)
            return nil
        }
        let canonical = Hashing.canonicalBytes(id: id, stored.entry)
        guard Hashing.chainHash(previous: previousHash, canonical: canonical) == stored.hash else {
            suspect = Suspect(id: id, at: stored.entry.at, previousAt: previousAt, storedHash: stored.hash)
            return nil
        }
        if id == anchorId && stored.hash != anchorHash {
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
        if anchorId >= expectedId {
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
