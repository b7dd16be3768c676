import AgencyDirectory
import BrokerCore
import ReferralProtocol
import StoreModel

/// The operators' admin endpoint (protocols/ADMIN-1.md), decided here and written by the shell's AdminCodec:
/// STATUS from the machine's own state, RELOAD through the shell's reading of the files (`reload`), the rest
/// as store reads whose results come back as `StoreCompletion.adminRead`. Adding an admin command: its type and
/// codec in ReferralProtocol, then a case here (and, for a new read, `AdminRead` and the store thread's read).
extension BrokerMachine {
    mutating func admin(_ arrival: AdminArrival, now: Int64) {
        let peer = arrival.replyTo
        let request: AdminRequest
        switch arrival.request {
        case .failure(let error):
            reply(.error(error), to: peer)
            return
        case .success(let decoded):
            request = decoded
        }
        switch request {
        case .status:
            reply(.ok(.status(status(arrival.shell, now: now))), to: peer)
        case .trail(.message(let sender, let id)):
            read(.trail(.message(sender: sender, id: id)), for: peer)
        case .trail(.caseId(let caseId)):
            read(.trail(.caseId(caseId.lowercased())), for: peer)
        case .caseInfo(let caseId):
            read(.caseInfo(caseId: caseId.lowercased()), for: peer)
        case .overdue(let filter):
            read(
                .overdue(
                    now: now, region: filter.region, agency: filter.agency, risk: filter.risk,
                    escalated: filter.escalated,
                    limit: Int(min(filter.limit ?? AdminRequest.OverdueFilter.maxLimit, Int64(AdminRead.overdueLimit)))),
                for: peer)
        case .reload:
            actions.append(.readReloadFiles(replyTo: peer))
        case .auditVerify:
            read(.verifyAudit, for: peer)
        case .auditExport(let since, let limit):
            read(.exportAudit(since: since, limit: limit.map { Int(clamping: $0) }), for: peer)
        case .backup(let path):
            read(.backup(path: path), for: peer)
        case .deadLetters, .deadLetter, .redrive, .discard, .held, .release:
            repair(request, for: peer, now: now)
        case .purge(let name):
            if let step = purges.request(operator: name, peer: peer, now: now) { actions.append(.store(.purge(step))) }
        case .nodeSuspend, .nodeResume, .nodeBacklog, .nodeMoveBacklog, .nodeRotateKey:
            nodeAdmin(request, peer: peer, now: now)
        case .stats:
            read(.stats(now: now, startedAt: arrival.shell.startedAt), for: peer)
        }
    }

    /// The reply to an admin read the store has finished.
    mutating func answer(_ result: AdminReadResult, to peer: AdminPeer, now: Int64) {
        switch result {
        case .trail(let entries) where entries.isEmpty:
            reply(.error(AdminError(.notFound, "no such message or case")), to: peer)
        case .trail(let entries):
            reply(.ok(.trail(AdminTrail(events: entries.map(AdminTrailEvent.init)))), to: peer)
        case .caseInfo(let info) where info.isEmpty:
            reply(.error(AdminError(.notFound, "no case, message or deadline has this case id")), to: peer)
        case .caseInfo(let info):
            reply(.ok(.caseInfo(AdminCase(info))), to: peer)
        case .overdue(let records):
            reply(.ok(.overdue(records.map(AdminOverdueItem.init))), to: peer)
        case .auditVerified(let verification):
            if case .broken(let atId, let problem) = verification {
                lastAuditCheck = AdminStats.AuditCheck(at: now, intact: false)
                log(.critical, "the audit chain does not verify", ["at_id": "\(atId)", "problem": problem])
            } else {
                lastAuditCheck = AdminStats.AuditCheck(at: now, intact: true)
            }
            reply(.ok(.auditVerify(AdminAuditVerification(verification))), to: peer)
        case .auditExported(let records):
            reply(.ok(.auditExport(records.map(AdminAuditRecord.init))), to: peer)
        case .backedUp(let path, let bytes, let durationMs):
            // The path and size only: the copy holds bodies, the audit trail never does.
            audit(AuditEvent(at: now, event: .storeBackedUp, detail: "path=\(path) bytes=\(bytes)"))
            reply(.ok(.backup(AdminBackup(path: path, bytes: bytes, durationMs: durationMs))), to: peer)
        case .stats(let aggregates, let startedAt):
            reply(.ok(.stats(stats(aggregates, startedAt: startedAt))), to: peer)
        case .backupRefused(let reason):
            reply(.error(AdminError(.backupRefused, reason)), to: peer)
        case .deadLetters, .deadLetter, .held:
            answerRepairRead(result, to: peer)
        case .nodeBacklog(let node, let page):
            reply(.ok(.nodeBacklog(nodeBacklogResult(node, page))), to: peer)
        case .failed(let reason):
            reply(.error(AdminError(.storeFailed, reason)), to: peer)
        }
    }

    /// STATUS: every node of the directory in force (then nodes the scheduler still knows that are no longer in
    /// it), held cases and dead letters, from the scheduler's memory.
    func status(_ shell: ShellFacts, now: Int64) -> AdminStatus {
        let statuses = Dictionary(scheduler.nodeStatuses().map { ($0.node, $0) }, uniquingKeysWith: { a, _ in a })
        var ids = jurisdiction.directory.allEntries.map(\.id).sorted()
        ids += statuses.keys.filter { jurisdiction.entry($0) == nil }.sorted()
        let nodes = ids.map { id in
            let status = statuses[id]
            let entry = jurisdiction.entry(id)
            let suspension = overrides[id]?.suspension
            let grace = jurisdiction.graceKeys.first { $0.value.node == id }
            return AdminStatus.Node(
                node: id, agency: entry?.agency.rawValue ?? "", kind: entry?.kind ?? "",
                division: entry?.division ?? "",
                state: entry?.state.rawValue ?? "removed", name: entry?.name ?? "(not in the directory)",
                connected: status?.connected ?? false, pending: status?.pending ?? 0, inFlight: status?.inFlight ?? 0,
                deadLetters: status?.deadLetters ?? 0, receiptsPending: status?.receiptsPending ?? 0,
                suspendedBy: suspension?.by, suspendedReason: suspension?.reason, suspendedAt: suspension?.at,
                previousKey: grace?.key, previousKeyUntil: grace?.value.until)
        }
        let held = scheduler.heldLanes().map {
            AdminStatus.HeldCase(caseId: $0.caseId, recipient: $0.recipient, since: $0.since, seq: $0.seq)
        }
        let broker = AdminStatus.Broker(
            version: ProductVersion.string, startedAt: shell.startedAt, uptimeMs: now - shell.startedAt,
            endpoint: shell.endpoint, security: jurisdiction.plaintext ? "plaintext-development" : "curve",
            storeTransactions: shell.store.transactions, storeRowsWritten: shell.store.rowsWritten)
        return AdminStatus(
            broker: broker, nodes: nodes, heldCases: held, deadLetters: nodes.reduce(0) { $0 + $1.deadLetters },
            lastPurge: purges.last?.admin, store: shell.storeStatus)
    }

    /// The broker's own periodic AUDIT-VERIFY (`audit_verify_interval_ms`): the first one interval after the start.
    /// Its answer goes to a ticket nobody waits for; what counts is `lastAuditCheck`, and a broken chain is logged.
    mutating func verifyAuditWhenDue(now: Int64) {
        let interval = settings.auditVerifyIntervalMs
        guard interval > 0 else { return }
        guard let due = nextAuditVerifyAt else {
            nextAuditVerifyAt = now + interval
            return
        }
        guard now >= due else { return }
        nextAuditVerifyAt = now + interval
        read(.verifyAudit, for: Self.periodicVerification)
    }

    /// The peer of the periodic verification: an in-process ticket `BrokerQueries` never gives out.
    static let periodicVerification = AdminPeer.inProcess(ticket: 0)

    mutating func reply(_ response: AdminResponse, to peer: AdminPeer) { actions.append(.reply(response, to: peer)) }

    mutating func read(_ read: AdminRead, for peer: AdminPeer) {
        actions.append(.store(.adminRead(read, replyTo: peer)))
    }
}
