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
            var verifier = AuditChainVerifier(anchorId: anchor.id, anchorHash: anchor.hash)
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
                    if let verdict = verifier.check(stored, rowId: id) { return verdict }
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

    /// The row's id, and the record, nil when it cannot be one the store wrote (a hash that is not 32 octets).
    static func decode(_ row: PostgresRow) throws -> (Int64, AuditStoredRecord?) {
        let (id, at, event, node, peer, key, messageId, seq, recipient, kind, code, detail, hash) = try row.decode(
            (
                Int64, Int64, String, String?, String?, String?, String?, Int64?, String?, String?, String?, String?,
                ByteBuffer
            ).self)
        guard hash.readableBytes == 32 else { return (id, nil) }
        let entry = AuditEvent(
            at: at, storedEvent: event, node: node, peer: peer, keyFingerprint: key, messageId: messageId, seq: seq,
            recipient: recipient, kind: kind, code: code, detail: detail)
        return (id, AuditStoredRecord(id: id, entry: entry, hash: Array(buffer: hash)))
    }
}
