import ReferralProtocol
import StoreModel

// TEMPORARY (issue 12, slice 2): a copy of the pure hashing of Sources/BrokerStore/AuditChain.swift
// (`canonicalBytes`, `chainHash`), made while that hashing moves into StoreModel on another branch. At merge, this
// file goes and `PostgresChainVerifier` is given the shared hashing (it only needs `AuditChainHashing`).

/// The pure hashing the audit chain verifier needs (docs/AUDIT.md).
protocol AuditChainHashing {
    /// The canonical bytes of record `id`: the 12-member compact JSON object.
    static func canonicalBytes(id: Int64, _ event: AuditEvent) -> [UInt8]
    /// SHA-256(previous || canonical).
    static func chainHash(previous: [UInt8], canonical: [UInt8]) -> [UInt8]
}

/// The same octets and digests as `AuditChain` (BrokerStore): the conformance tests compare both stores' verdicts.
enum PostgresAuditHashing: AuditChainHashing {
    static let zeroHash = [UInt8](repeating: 0, count: 32)

    static func chainHash(previous: [UInt8], canonical: [UInt8]) -> [UInt8] {
        SHA256.hash(previous, canonical)
    }

    static func canonicalBytes(id: Int64, _ event: AuditEvent) -> [UInt8] {
        var writer = JSONWriter(reservingCapacity: 256)
        writer.beginObject()
        writeMembers(id: id, event, into: &writer)
        writer.endObject()
        return writer.bytes
    }

    /// The 12 members of the canonical object, in order, without the braces.
    static func writeMembers(id: Int64, _ event: AuditEvent, into writer: inout JSONWriter) {
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
}
