import BrokerStore
import Foundation
import GRDB
import ReferralProtocol

/// A plain audit event, distinct per `n` (time `1_000 + n`).
func auditEvent(_ n: Int, event: AuditEvent.Name = .authFailed) -> AuditEvent {
    AuditEvent(
        at: 1_000 + Int64(n), event: event, peer: "10.0.0.\(n % 250):5555",
        keyFingerprint: "00112233445566\(String(format: "%02x", n % 256))", code: "UNKNOWN_KEY",
        detail: "attempt \(n)")
}

/// Appends `count` plain audit records in batches of `batch`.
func appendAudits(_ store: BrokerStore, count: Int, from first: Int = 1, batch: Int = 4) throws {
    var n = first
    while n < first + count {
        let end = min(n + batch, first + count)
        _ = try store.run((n..<end).map { .audit(auditEvent($0)) })
        n = end
    }
}

/// What an attacker with write access to the file does: a separate connection (the store must be closed, or at
/// least idle), dropping the append-only triggers first unless told not to.
func tamper(_ path: String, dropTriggers: Bool = true, _ sql: String) throws {
    let attacker = try DatabaseQueue(path: path)
    defer { try? attacker.close() }
    try attacker.writeWithoutTransaction { db in
        if dropTriggers {
            try db.execute(sql: "DROP TRIGGER IF EXISTS audit_no_update; DROP TRIGGER IF EXISTS audit_no_delete")
        }
        try db.execute(sql: sql)
    }
}

/// SQL that edits record `id`'s detail and recomputes every hash after it, as someone who knows the encoding would.
func rewrittenChain(_ rows: [AuditRecordRow], editing id: Int64) -> String {
    var previous = [UInt8](repeating: 0, count: 32)
    var updates: [String] = ["UPDATE audit SET detail = 'forged' WHERE id = \(id)"]
    for var row in rows {
        if row.id == id { row.entry.detail = "forged" }
        row.hash = ""
        let line = BrokerStore.jsonLine(row)
        let canonical = String(line.dropLast(#","hash":""}"#.count)) + "}"
        previous = SHA256.hash(previous + Array(canonical.utf8))
        updates.append("UPDATE audit SET hash = x'\(hex(previous))' WHERE id = \(row.id)")
    }
    return updates.joined(separator: ";")
}

/// Every value of every audit row, as the raw octets SQLite holds, read through a separate connection.
func auditTableBytes(_ path: String) throws -> [UInt8] {
    let reader = try DatabaseQueue(path: path)
    defer { try? reader.close() }
    return try reader.read { db in
        var bytes: [UInt8] = []
        let columns = try db.columns(in: "audit").map(\.name)
        let select = columns.map { "CAST(\($0) AS BLOB)" }.joined(separator: ", ")
        let rows = try Row.fetchCursor(db, sql: "SELECT \(select) FROM audit")
        while let row = try rows.next() {
            for index in 0..<row.count {
                if case .blob(let data) = (row[index] as DatabaseValue).storage { bytes += data }
                bytes.append(0)
            }
        }
        return bytes
    }
}

extension Array where Element == UInt8 {
    func contains(subsequence needle: [UInt8]) -> Bool {
        guard !needle.isEmpty, needle.count <= count else { return needle.isEmpty }
        for start in 0...(count - needle.count) where self[start] == needle[0] {
            if self[start..<start + needle.count].elementsEqual(needle) { return true }
        }
        return false
    }
}

func hex(_ bytes: [UInt8]) -> String { SHA256.hex(bytes) }

func unhex(_ text: String) -> [UInt8] {
    var out: [UInt8] = []
    var chars = Array(text.utf8)[...]
    while chars.count >= 2 {
        out.append(UInt8(String(decoding: chars.prefix(2), as: UTF8.self), radix: 16)!)
        chars = chars.dropFirst(2)
    }
    return out
}
