import BrokerMachine
import BrokerStore
import Logging
import StoreModel

// The store thread's reads: each request read after the batch's commit and answered with one completion.
extension StoreWorker {
    /// The completion answering a read request; nil for a write request.
    func read(_ request: StoreRequest) -> StoreCompletion? {
        switch request {
        case .load(let seqs):
            do {
                // In the order asked for: the scheduler's (priority, then seq), which the DELIVERs keep.
                let found = Dictionary(
                    try store.loadMessages(seqs: seqs).map { ($0.seq, $0) }, uniquingKeysWith: { first, _ in first })
                return .loaded(seqs.compactMap { found[$0] }, missing: seqs.filter { found[$0] == nil })
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
        case .adminRead(let read, let replyTo):
            return .adminRead(adminRead(read), replyTo: replyTo)
        case .nodeQuery(let read, let ticket):
            return .nodeQuery(nodeQueryRead(read), ticket)
        case .openDeliveries(let recipient, let afterSeq, let limit):
            // Read after this batch's commit: it sees every unit submitted before it (docs/DESIGN.md).
            let page = try? store.openDeliveries(recipient: recipient, afterSeq: afterSeq, limit: limit)
            return .openDeliveries(recipient: recipient, limit: limit, page)
        case .unconfirmedReceipts(let sender, let afterId, let limit):
            let page = try? store.unconfirmedReceipts(sender: sender, afterId: afterId, limit: limit)
            return .unconfirmedReceipts(sender: sender, limit: limit, page)
        case .lanePage(let recipient, let caseId, let afterSeq, let throughSeq, let limit):
            let page = try? store.laneDeliveries(
                recipient: recipient, caseId: caseId, afterSeq: afterSeq, throughSeq: throughSeq, limit: limit)
            return .lanePage(recipient: recipient, caseId: caseId, limit: limit, page)
        case .accept, .persist, .audit, .fire, .repair, .purge, .nodeOverride, .moveBacklog:
            return nil
        }
    }

    /// What an admin read found; a failure names what could not be read, never why in the store's words.
    private func adminRead(_ read: AdminRead) -> AdminReadResult {
        do {
            switch read {
            case .trail(.message(let sender, let id)): return .trail(try store.trail(sender: sender, messageId: id))
            case .trail(.caseId(let caseId)): return .trail(try store.trail(caseId: caseId))
            case .caseInfo(let caseId): return .caseInfo(try Self.readCase(caseId, from: store))
            case .overdue(let now, let region, let agency, let risk, let escalated, let limit):
                return .overdue(
                    try store.overdue(
                        now: now, regionPrefix: region, agency: agency, risk: risk, escalatedOnly: escalated,
                        limit: min(limit, AdminRead.overdueLimit)))
            case .verifyAudit, .exportAudit:
                return try auditRead(read)
            case .nodeBacklog(let node, let afterSeq, let limit):
                return .nodeBacklog(
                    node: node, try store.backlogPage(recipient: node, afterSeq: afterSeq, limit: limit))
            case .stats(let now, let startedAt):
                return .stats(try store.aggregates(now: now), startedAt: startedAt)
            case .backup(let path):
                let clock = ContinuousClock()
                let start = clock.now
                let bytes = try store.backup(to: path)
                let elapsed = start.duration(to: clock.now)
                let ms = elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000
                return .backedUp(path: path, bytes: bytes, durationMs: ms)
            case .deadLetters(let filter):
                return .deadLetters(try store.deadLetters(filter), limit: filter.limit - 1)
            case .deadLetter(let seq, let recipient):
                return .deadLetter(try store.deadLetter(seq: seq, recipient: recipient))
            case .held(let recipient):
                return .held(try store.heldLanes(recipient: recipient, limit: AdminRead.heldLimit))
            }
        } catch let refused as BackupRefused {
            return .backupRefused(reason: refused.description)
        } catch {
            logger.error("admin read failed", metadata: ["error": "\(error)"])
            return .failed(reason: Self.failure(of: read))
        }
    }

    private func auditRead(_ read: AdminRead) throws -> AdminReadResult {
        if case .exportAudit(let since, let limit) = read {
            let rows = try store.exportAudit(since: since, limit: limit)
            return .auditExported(rows.map { ExportedAuditRecord(row: $0, line: BrokerStore.jsonLine($0)) })
        }
        return .auditVerified(try store.verifyAudit())
    }

    private static func failure(of read: AdminRead) -> String {
        switch read {
        case .verifyAudit, .exportAudit: "the audit trail could not be read"
        case .backup: "the backup could not be written"
        case .trail, .caseInfo, .overdue, .deadLetters, .deadLetter, .held, .nodeBacklog, .stats:
            "the store could not be read"
        }
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
