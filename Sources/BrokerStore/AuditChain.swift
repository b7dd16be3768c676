import Foundation
import GRDB
import ReferralProtocol
import SQLiteRaw

/// The tip of the audit hash chain (the newest record's id and hash), kept in memory by the store so that an
/// append costs one hash and one insert. Loaded at open; advanced only after a batch commits.
///
/// ## The chain (also in docs/AUDIT.md)
///
/// Records have ids 1, 2, 3, ... without gaps (the store assigns `tip id + 1`, never SQLite). Each stored record
/// has `hash = SHA-256(previous hash || canonical bytes)`, where the previous hash of record 1 is 32 zero octets
/// and `||` is concatenation of the raw octets (32 + n octets hashed).
///
/// ## Canonical bytes of a record
///
/// One compact JSON object (RFC 8259, UTF-8, no whitespace, no trailing newline) with exactly these 12 members in
/// exactly this order; an absent optional field is the literal `null` (the member is never left out):
///
///     {"id":<int>,"at":<int>,"event":<str>,"node":<str|null>,"peer":<str|null>,"keyFingerprint":<str|null>,
///      "messageId":<str|null>,"seq":<int|null>,"recipient":<str|null>,"kind":<str|null>,"code":<str|null>,
///      "detail":<str|null>}
///
/// (shown on two lines here; the bytes are one line). Integers are base-10 without leading zeros or `+`, with `-`
/// when negative. Strings are the field's UTF-8 octets as stored (no Unicode normalisation) between `"`, with only
/// the escapes RFC 8259 requires: `\"`, `\\`, `\b`, `\f`, `\n`, `\r`, `\t`, and `\u00xx` with lowercase hex for
/// the other octets below 0x20; everything else, including `/` and non-ASCII, is written raw. That is exactly
/// `JSONWriter`'s output. Example (record 1 of an empty trail):
///
///     {"id":1,"at":1700000000000,"event":"accepted","node":"school-1","peer":null,"keyFingerprint":null,
///      "messageId":"m-1","seq":7,"recipient":null,"kind":"referral","code":null,"detail":null}
struct AuditChain: Sendable, Equatable {
    var lastId: Int64
    var lastHash: [UInt8]

    static let zeroHash = AuditChainHash.zeroHash
    static let genesis = AuditChain(lastId: 0, lastHash: zeroHash)

    static let insertSQL = """
        INSERT INTO audit (id, at, event, node, peer, key_fingerprint, message_id, seq, recipient, kind, code, detail,
                           hash)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """

    /// The newest record's id and hash (genesis when the trail is empty).
    static func load(_ db: Database) throws -> AuditChain {
        guard let row = try Row.fetchOne(db, sql: "SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1") else {
            return .genesis
        }
        guard case .int64(let id) = (row[0] as DatabaseValue).storage else {
            throw DatabaseError(message: "the newest audit record has no integer id")
        }
        // A malformed hash is loaded as is: the chain continues from it and `verifyAudit()` reports the record.
        let hash: [UInt8]
        if case .blob(let data) = (row[1] as DatabaseValue).storage { hash = [UInt8](data) } else { hash = [] }
        return AuditChain(lastId: id, lastHash: hash)
    }

    /// Appends `event` as record `lastId + 1` and advances the tip (the caller keeps the old tip until commit).
    mutating func append(_ event: AuditEvent, insert: Statement) throws {
        let event = Self.normalized(event)
        let id = lastId + 1
        let hash = Self.chainHash(previous: lastHash, id: id, event)
        var raw = RawStatement(insert)
        try raw.bind(id)
        try raw.bind(event.at)
        try raw.bind(event.event)
        try raw.bind(event.node)
        try raw.bind(event.peer)
        try raw.bind(event.keyFingerprint)
        try raw.bind(event.messageId)
        try raw.bind(event.seq)
        try raw.bind(event.recipient)
        try raw.bind(event.kind)
        try raw.bind(event.code)
        try raw.bind(event.detail)
        try raw.bindBlob(hash)
        try raw.run()
        lastId = id
        lastHash = hash
    }

    // MARK: - Encoding (shared with every backend: `AuditChainHash` in StoreModel)

    static func chainHash(previous: [UInt8], canonical: [UInt8]) -> [UInt8] {
        AuditChainHash.chainHash(previous: previous, canonical: canonical)
    }

    static func chainHash(previous: [UInt8], id: Int64, _ event: AuditEvent) -> [UInt8] {
        AuditChainHash.chainHash(previous: previous, id: id, event)
    }

    static func canonicalBytes(id: Int64, _ event: AuditEvent) -> [UInt8] {
        AuditChainHash.canonicalBytes(id: id, event)
    }

    static func writeMembers(id: Int64, _ event: AuditEvent, into writer: inout JSONWriter) {
        AuditChainHash.writeMembers(id: id, event, into: &writer)
    }

    static func normalized(_ event: AuditEvent) -> AuditEvent {
        AuditChainHash.normalized(event)
    }

    // MARK: - Reading stored records

    /// Text columns are read as BLOBs so that the exact stored octets are checked (GRDB would cut text at a NUL
    /// and repair invalid UTF-8, hiding an edit).
    static let selectColumns = """
        id, at, CAST(event AS BLOB), CAST(node AS BLOB), CAST(peer AS BLOB), CAST(key_fingerprint AS BLOB),
        CAST(message_id AS BLOB), seq, CAST(recipient AS BLOB), CAST(kind AS BLOB), CAST(code AS BLOB),
        CAST(detail AS BLOB), hash
        """

    typealias Stored = AuditStoredRecord

    /// The id of a row read with `selectColumns`, nil if it is not an integer.
    static func rowId(_ row: Row) -> Int64? {
        if case .int64(let id) = (row[0] as DatabaseValue).storage { return id }
        return nil
    }

    /// A row read with `selectColumns`, or nil when it cannot be a record this store wrote (wrong types, invalid
    /// UTF-8, a NUL in a text, a hash that is not 32 octets).
    static func decode(_ row: Row) -> Stored? {
        guard let id = rowId(row), let at = integer(row, 1), let event = text(row, 2) else { return nil }
        guard let node = optionalText(row, 3), let peer = optionalText(row, 4), let key = optionalText(row, 5),
            let messageId = optionalText(row, 6), let seq = optionalInteger(row, 7),
            let recipient = optionalText(row, 8), let kind = optionalText(row, 9), let code = optionalText(row, 10),
            let detail = optionalText(row, 11)
        else { return nil }
        guard case .blob(let hash) = (row[12] as DatabaseValue).storage, hash.count == 32 else { return nil }
        return Stored(
            id: id,
            entry: AuditEvent(
                at: at, storedEvent: event, node: node, peer: peer, keyFingerprint: key, messageId: messageId, seq: seq,
                recipient: recipient, kind: kind, code: code, detail: detail),
            hash: [UInt8](hash))
    }

    private static func integer(_ row: Row, _ index: Int) -> Int64? {
        if case .int64(let value) = (row[index] as DatabaseValue).storage { return value }
        return nil
    }

    /// `.some(nil)` for NULL, `.some(value)` for an integer, nil (malformed) otherwise.
    private static func optionalInteger(_ row: Row, _ index: Int) -> Int64?? {
        switch (row[index] as DatabaseValue).storage {
        case .null: return .some(nil)
        case .int64(let value): return .some(value)
        default: return nil
        }
    }

    private static func text(_ row: Row, _ index: Int) -> String? {
        // CAST of an empty text gives an empty BLOB.
        guard case .blob(let data) = (row[index] as DatabaseValue).storage, !data.contains(0) else { return nil }
        return String(validating: data, as: UTF8.self)
    }

    private static func optionalText(_ row: Row, _ index: Int) -> String?? {
        if case .null = (row[index] as DatabaseValue).storage { return .some(nil) }
        guard let value = text(row, index) else { return nil }
        return .some(value)
    }
}
