import BrokerMachine
import BrokerStore
import Logging
import ReferralProtocol

extension PollLoop {
    /// Answers an admin read the store has finished; false for a completion that is the machine's.
    func answerAdmin(_ completion: StoreCompletion) -> Bool {
        switch completion {
        case .auditVerified(let verification, let replyTo):
            replyAdmin(.ok(.auditVerify(AdminAuditVerification(verification))), to: replyTo)
        case .auditExported(let rows, let replyTo):
            replyAdmin(.ok(.auditExport(rows.map(AdminAuditRecord.init))), to: replyTo)
        case .trail(let entries, let replyTo) where entries.isEmpty:
            replyAdmin(.error(AdminError(.notFound, "no such message or case")), to: replyTo)
        case .trail(let entries, let replyTo):
            replyAdmin(.ok(.trail(AdminTrail(events: entries.map(AdminTrailEvent.init)))), to: replyTo)
        case .caseInfo(let info, let replyTo) where info.isEmpty:
            let reason = "no case, message or deadline has this case id"
            replyAdmin(.error(AdminError(.notFound, reason)), to: replyTo)
        case .caseInfo(let info, let replyTo):
            replyAdmin(.ok(.caseInfo(AdminCase(info))), to: replyTo)
        case .overdue(let records, let replyTo):
            replyAdmin(.ok(.overdue(records.map(AdminOverdueItem.init))), to: replyTo)
        case .trailFailed(let reason, let replyTo):
            replyAdmin(.error(AdminError(.storeFailed, reason)), to: replyTo)
        default:
            return false
        }
        return true
    }
}
