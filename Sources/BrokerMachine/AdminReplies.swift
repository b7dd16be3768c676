import CaseCore
import ReferralProtocol
import StoreModel

/// ADMIN-1 results (ReferralProtocol's types) from what the store thread read and the machine holds; the shell's
/// AdminCodec writes them.
extension AdminTrailEvent {
    init(_ entry: TrailEntry) {
        self.init(
            at: entry.at, event: entry.event.rawValue, seq: entry.seq, messageId: entry.messageId, sender: entry.sender,
            recipient: entry.recipient, attempt: entry.attempt.map(Int64.init), detail: entry.detail)
    }
}

extension AdminCase {
    /// The status members only for a tracked referral case (one a `referral.request` opened); a case id known
    /// only from other messages or deadlines (a discharge's follow-up plan, a crisis alert) has none.
    init(_ info: CaseInfo) {
        let tracking = info.record.map { record in
            Tracking(
                status: record.status, attempt: Int64(record.attempt), referrer: record.referrer,
                service: record.service, openedAt: record.openedAt, updatedAt: record.updatedAt)
        }
        self.init(
            caseId: info.caseId, tracking: tracking, deadlines: info.deadlines.map(Deadline.init),
            deadlinesTruncated: info.deadlinesTruncated, events: info.events.map(AdminTrailEvent.init))
    }
}

extension AdminCase.Deadline {
    /// The raw row, plus who is awaited and for what, read from the item so that clients need not parse
    /// `Awaited.encoded`. A row whose item this daemon cannot read keeps only `item`.
    init(_ record: DeadlineRecord) {
        let awaiting: Awaiting? =
            switch Awaited(encoded: record.item) {
            case .delivery(let seq, let recipient): .delivery(seq: seq, party: recipient)
            case .answer(let kinds, let from): .answer(kinds: kinds.sorted(), party: from)
            case .followUpVisit(let number, let by): .followUpVisit(number: Int64(number), party: by)
            case nil: nil
            }
        self.init(
            id: record.id, item: record.item, dueAt: record.dueAt, level: Int64(record.level), risk: record.risk,
            awaiting: awaiting)
    }
}

extension AdminOverdueItem {
    init(_ record: DeadlineRecord) {
        self.init(
            id: record.id, caseId: record.caseId, item: record.item, dueAt: record.dueAt, level: Int64(record.level),
            region: record.region, agency: record.agency, risk: record.risk,
            // A row of level 1 or above is the step an escalation set: it was created when the item escalated.
            escalatedAt: record.level > 0 ? record.createdAt : nil)
    }
}

extension AdminAuditVerification {
    init(_ verification: AuditVerification) {
        switch verification {
        case .intact(let records, let lastHash): self = .intact(records: Int64(records), lastHash: lastHash)
        case .broken(let atId, let problem): self = .broken(atId: atId, problem: problem)
        }
    }
}

extension AdminAuditRecord {
    /// With `line`: the canonical JSON line (docs/AUDIT.md) whose bytes the hash chain covers.
    init(_ exported: ExportedAuditRecord) {
        let (row, entry) = (exported.row, exported.row.entry)
        self.init(
            id: row.id, at: entry.at, event: entry.event, hash: row.hash, line: exported.line,
            node: entry.node, peer: entry.peer, keyFingerprint: entry.keyFingerprint, messageId: entry.messageId,
            seq: entry.seq, recipient: entry.recipient, kind: entry.kind, code: entry.code, detail: entry.detail)
    }
}

extension AdminReload {
    init(_ changes: DirectoryChanges, escalationPolicy: String) {
        self.init(
            nodes: changes.count, added: changes.added, removed: changes.removed, suspended: changes.suspended,
            reactivated: changes.reactivated, rekeyed: changes.rekeyed, escalationPolicy: escalationPolicy)
    }
}
