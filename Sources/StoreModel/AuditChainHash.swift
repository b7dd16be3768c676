import ReferralProtocol

/// The pure part of the audit hash chain, shared by every store backend so that both compute the same hashes
/// (the chain and the canonical bytes are documented on BrokerStore's `AuditChain` and in docs/AUDIT.md). Loading
/// the tip and inserting a record are each backend's own.
public enum AuditChainHash {
    /// The previous hash of record 1: 32 zero octets.
    public static let zeroHash = [UInt8](repeating: 0, count: 32)
    /// The tip of an empty trail: id 0 and `zeroHash`.
    public static let genesisId: Int64 = 0

    public static func chainHash(previous: [UInt8], canonical: [UInt8]) -> [UInt8] {
        SHA256.hash(previous, canonical)
    }

    /// `chainHash(previous:canonical: canonicalBytes(id:event))` without a buffer of its own for the canonical
    /// bytes: they are written straight after the previous hash and the whole buffer is hashed in one pass
    /// (the append path; same octets hashed, same digest).
    public static func chainHash(previous: [UInt8], id: Int64, _ event: AuditEvent) -> [UInt8] {
        var writer = JSONWriter(prefix: previous, reservingCapacity: previous.count + 320)
        writer.beginObject()
        writeMembers(id: id, event, into: &writer)
        writer.endObject()
        return SHA256.hash(writer.bytes)
    }

    /// The canonical bytes of record `id`.
    public static func canonicalBytes(id: Int64, _ event: AuditEvent) -> [UInt8] {
        var writer = JSONWriter(reservingCapacity: 256)
        writer.beginObject()
        writeMembers(id: id, event, into: &writer)
        writer.endObject()
        return writer.bytes
    }

    /// The 12 members of the canonical object, in order, without the braces.
    public static func writeMembers(id: Int64, _ event: AuditEvent, into writer: inout JSONWriter) {
        writer.key(static: "id")
        writer.integer(id)
        writer.key(static: "at")
        writer.integer(event.at)
        writer.key(static: "event")
        writer.string(event.event)
        optional("node", event.node, &writer)
        optional("peer", event.peer, &writer)
        optional("keyFingerprint", event.keyFingerprint, &writer)
        optional("messageId", event.messageId, &writer)
        writer.key(static: "seq")
        if let seq = event.seq { writer.integer(seq) } else { writer.null() }
        optional("recipient", event.recipient, &writer)
        optional("kind", event.kind, &writer)
        optional("code", event.code, &writer)
        optional("detail", event.detail, &writer)
    }

    private static func optional(_ key: StaticString, _ value: String?, _ writer: inout JSONWriter) {
        writer.key(static: key)
        if let value { writer.string(value) } else { writer.null() }
    }

    /// U+0000 in any string field becomes U+FFFD: SQLite (through GRDB) would store the text cut at the NUL, and
    /// PostgreSQL's text refuses it.
    public static func normalized(_ event: AuditEvent) -> AuditEvent {
        func hasNUL(_ s: String?) -> Bool { s?.utf8.contains(0) ?? false }
        // The usual case: nothing to replace, the event as it is (no copy of its strings).
        guard
            hasNUL(event.event) || hasNUL(event.node) || hasNUL(event.peer) || hasNUL(event.keyFingerprint)
                || hasNUL(event.messageId) || hasNUL(event.recipient) || hasNUL(event.kind) || hasNUL(event.code)
                || hasNUL(event.detail)
        else { return event }
        func clean(_ s: String) -> String {
            guard s.utf8.contains(0) else { return s }
            var scalars = String.UnicodeScalarView()
            for scalar in s.unicodeScalars { scalars.append(scalar == "\u{0}" ? "\u{FFFD}" : scalar) }
            return String(scalars)
        }
        var e = event
        e.event = clean(e.event)
        e.node = e.node.map(clean)
        e.peer = e.peer.map(clean)
        e.keyFingerprint = e.keyFingerprint.map(clean)
        e.messageId = e.messageId.map(clean)
        e.recipient = e.recipient.map(clean)
        e.kind = e.kind.map(clean)
        e.code = e.code.map(clean)
        e.detail = e.detail.map(clean)
        return e
    }
}
