import BrokerMachine
import BrokerStore
import Logging

// The store thread's reads: each request read after the batch's commit and answered with one completion.
extension StoreWorker {
    /// The completion answering a read request; nil for a write request.
    func read(_ request: StoreRequest) -> StoreCompletion? {
        switch request {
        case .load(let seqs):
            do {
                let messages = try store.loadMessages(seqs: seqs)
                let found = Set(messages.map(\.seq))
                return .loaded(messages, missing: seqs.filter { !found.contains($0) })
            } catch {
                logger.error("loading messages failed", metadata: ["error": "\(error)"])
                return .loaded([], missing: seqs)
            }
        case .dueDeadlines(let before, let limit):
            do {
                return .dueDeadlines(try store.dueDeadlines(before: before, limit: limit), before: before, limit: limit)
            } catch {
                logger.error("reading due deadlines failed", metadata: ["error": "\(error)"])
                return .dueDeadlinesFailed
            }
        case .trail(let query, let replyTo):
            return answer(replyTo, "the store could not be read") {
                switch query {
                case .message(let sender, let id):
                    .trail(try store.trail(sender: sender, messageId: id), replyTo: replyTo)
                case .caseId(let caseId): .trail(try store.trail(caseId: caseId), replyTo: replyTo)
                }
            }
        case .caseInfo(let caseId, let replyTo):
            return answer(replyTo, "the store could not be read") {
                .caseInfo(try Self.readCase(caseId, from: store), replyTo: replyTo)
            }
        case .overdue(let now, let region, let agency, let risk, let replyTo):
            return answer(replyTo, "the store could not be read") {
                .overdue(
                    try store.overdue(now: now, regionPrefix: region, agency: agency, risk: risk, limit: 1_000),
                    replyTo: replyTo)
            }
        case .verifyAudit(let replyTo):
            return answer(replyTo, "the audit trail could not be read") {
                .auditVerified(try store.verifyAudit(), replyTo: replyTo)
            }
        case .exportAudit(let since, let limit, let replyTo):
            return answer(replyTo, "the audit trail could not be read") {
                .auditExported(try store.exportAudit(since: since, limit: limit), replyTo: replyTo)
            }
        case .accept, .persist, .audit, .fire:
            return nil
        }
    }

    /// An admin read's answer, or its failure.
    private func answer(
        _ replyTo: AdminPeer, _ failure: String, _ body: () throws -> StoreCompletion
    ) -> StoreCompletion {
        do { return try body() } catch { return .trailFailed(reason: failure, replyTo: replyTo) }
    }

    /// ADMIN CASE's reads. The trail and the deadlines are read whether or not a case row exists: a case id can
    /// carry messages and deadlines without one.
    static func readCase(_ caseId: String, from store: any BrokerStoring) throws -> CaseInfo {
        // One more than shown, to know whether the list was cut.
        let deadlines = try store.openDeadlines(caseId: caseId, limit: CaseInfo.deadlineLimit + 1)
        return CaseInfo(
            caseId: caseId, record: try store.caseRecord(id: caseId), events: try store.trail(caseId: caseId),
            deadlines: Array(deadlines.prefix(CaseInfo.deadlineLimit)),
            deadlinesTruncated: deadlines.count > CaseInfo.deadlineLimit)
    }
}
