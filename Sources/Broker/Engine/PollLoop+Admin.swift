import AgencyDirectory
import BrokerCore
import BrokerMachine
import BrokerStore
import Logging
import ReferralProtocol
import ZeroMQ

/// The operators' admin endpoint (protocols/ADMIN-1.md): requests are decoded and replies written by
/// ReferralProtocol's AdminCodec; STATUS is answered from the scheduler's memory, the rest by the store thread.
extension PollLoop {
    func receiveAdmin(now: Int64) {
        for _ in 0..<64 {
            guard let message = try? admin.receive(dontWait: true) else { return }
            var frames = message.frames
            guard !frames.isEmpty else { continue }
            // A REQ client (or a DEALER speaking like one) puts an empty delimiter before the signature; its reply
            // carries it back (ADMIN-1 Frames).
            let delimited = frames.count > 1 && frames[1].isEmpty
            if delimited { frames.remove(at: 1) }
            let peer = AdminPeer(routingId: frames.removeFirst(), delimited: delimited)
            switch AdminCodec.decodeRequest(frames) {
            case .success(let request): handleAdmin(request, from: peer, now: now)
            case .failure(let error): replyAdmin(.error(error), to: peer)
            }
        }
    }

    private func handleAdmin(_ request: AdminRequest, from peer: AdminPeer, now: Int64) {
        switch request {
        case .overdue(let filter):
            storeRequests.append(
                .overdue(now: now, region: filter.region, agency: filter.agency, risk: filter.risk, replyTo: peer))
        case .status:
            replyAdmin(.ok(.status(status(now: now))), to: peer)
        case .trail(.message(let sender, let id)):
            storeRequests.append(.trail(.message(sender: sender, id: id), replyTo: peer))
        case .trail(.caseId(let caseId)):
            storeRequests.append(.trail(.caseId(caseId.lowercased()), replyTo: peer))
        case .caseInfo(let caseId):
            storeRequests.append(.caseInfo(caseId: caseId.lowercased(), replyTo: peer))
        case .reload:
            reload(now: now, replyTo: peer)
        case .auditVerify:
            storeRequests.append(.verifyAudit(replyTo: peer))
        case .auditExport(let since, let limit):
            storeRequests.append(.exportAudit(since: since, limit: limit.map { Int(clamping: $0) }, replyTo: peer))
        }
    }

    func status(now: Int64) -> AdminStatus {
        let statuses = Dictionary(scheduler.nodeStatuses().map { ($0.node, $0) }, uniquingKeysWith: { a, _ in a })
        var ids = jurisdiction.directory.allEntries.map(\.id).sorted()
        ids += statuses.keys.filter { jurisdiction.entry($0) == nil }.sorted()
        let nodes = ids.map { id in
            let status = statuses[id]
            let entry = jurisdiction.entry(id)
            return AdminStatus.Node(
                node: id, agency: entry?.agency.rawValue ?? "", kind: entry?.kind ?? "",
                division: entry?.division ?? "",
                state: entry?.state.rawValue ?? "removed", name: entry?.name ?? "(not in the directory)",
                connected: status?.connected ?? false, pending: status?.pending ?? 0, inFlight: status?.inFlight ?? 0,
                deadLetters: status?.deadLetters ?? 0, receiptsPending: status?.receiptsPending ?? 0)
        }
        let held = scheduler.heldLanes().map {
            AdminStatus.HeldCase(caseId: $0.caseId, recipient: $0.recipient, since: $0.since, seq: $0.seq)
        }
        let statistics = worker.statistics
        let broker = AdminStatus.Broker(
            version: ProductVersion.string, startedAt: startedAt, uptimeMs: now - startedAt, endpoint: boundEndpoint,
            security: configuration.insecurePlaintext ? "plaintext-development" : "curve",
            storeTransactions: statistics.transactions, storeRowsWritten: statistics.rowsWritten)
        return AdminStatus(
            broker: broker, nodes: nodes, heldCases: held, deadLetters: nodes.reduce(0) { $0 + $1.deadLetters })
    }

    func replyAdmin(_ response: AdminResponse, to peer: AdminPeer) {
        var frames = [peer.routingId] + AdminCodec.encode(response)
        if peer.delimited { frames.insert([], at: 1) }
        do {
            _ = try admin.send(frames, dontWait: true)
        } catch {
            logger.debug("admin reply not sent", metadata: ["error": "\(error)"])
        }
    }
}
