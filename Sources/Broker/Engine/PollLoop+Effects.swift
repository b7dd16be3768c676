import BrokerMachine
import BrokerStore
import Logging
import ReferralProtocol

extension PollLoop {
    /// Answers an admin read the store has finished; false for a completion that is the machine's.
    func answerAdmin(_ completion: StoreCompletion) -> Bool {
        switch completion {
        case .auditVerified(let verification, let replyTo):
            replyAdmin(ok: true, object: Self.verificationObject(verification), to: replyTo)
        case .auditExported(let rows, let replyTo):
            replyAdmin(ok: true, object: ["records": rows.map(Self.auditObject)], to: replyTo)
        case .trail(let entries, let replyTo) where entries.isEmpty:
            replyAdmin(ok: false, object: ["code": "NOT_FOUND", "reason": "no such message or case"], to: replyTo)
        case .trail(let entries, let replyTo):
            replyAdmin(ok: true, object: ["events": entries.map(Self.trailObject)], to: replyTo)
        case .caseInfo(let info, let replyTo) where info.isEmpty:
            let reason = "no case, message or deadline has this case id"
            replyAdmin(ok: false, object: ["code": "NOT_FOUND", "reason": reason], to: replyTo)
        case .caseInfo(let info, let replyTo):
            replyAdmin(ok: true, object: Self.caseObject(info), to: replyTo)
        case .overdue(let records, let replyTo):
            replyAdmin(ok: true, object: ["overdue": records.map(overdueObject)], to: replyTo)
        case .trailFailed(let reason, let replyTo):
            replyAdmin(ok: false, object: ["code": "STORE_FAILED", "reason": reason], to: replyTo)
        default:
            return false
        }
        return true
    }

    static func verificationObject(_ verification: AuditVerification) -> [String: Any] {
        switch verification {
        case .intact(let records, let lastHash):
            return ["intact": true, "records": records, "last_hash": lastHash]
        case .broken(let atId, let problem):
            return ["intact": false, "at_id": atId, "problem": problem]
        }
    }

    static func auditObject(_ row: AuditRecordRow) -> [String: Any] {
        let entry = row.entry
        // "line" is the canonical JSON line (docs/AUDIT.md) whose bytes the hash chain covers.
        var object: [String: Any] = [
            "id": row.id, "at": entry.at, "event": entry.event, "hash": row.hash, "line": BrokerStore.jsonLine(row),
        ]
        let optional: [(String, Any?)] = [
            ("node", entry.node), ("peer", entry.peer), ("key_fingerprint", entry.keyFingerprint),
            ("message_id", entry.messageId), ("seq", entry.seq), ("recipient", entry.recipient), ("kind", entry.kind),
            ("code", entry.code), ("detail", entry.detail),
        ]
        for case (let key, let value?) in optional { object[key] = value }
        return object
    }
}
