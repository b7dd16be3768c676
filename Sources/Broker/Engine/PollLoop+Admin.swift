import AgencyDirectory
import BrokerCore
import BrokerStore
import Foundation
import Logging
import ReferralProtocol
import ZeroMQ

/// The operators' admin endpoint (protocols/ADMIN-1.md): STATUS is answered from the
/// scheduler's memory, TRAIL is read by the store thread.
extension PollLoop {
    static let adminSignature: [UInt8] = [0x52, 0x42, 0x41, 0x01]  // "RBA" 1

    func receiveAdmin(now: Int64) {
        for _ in 0..<64 {
            guard let message = try? admin.receive(dontWait: true) else { return }
            var frames = message.frames
            guard !frames.isEmpty else { continue }
            // A REQ client (or a DEALER speaking like one) puts an empty delimiter before the signature; its reply
            // carries it back (ADMIN-1 Frames).
            let delimited = frames.count > 1 && frames[1].isEmpty
            if delimited { frames.remove(at: 1) }
            let peer = AdminPeer(routingId: frames[0], delimited: delimited)
            guard frames.count == 4, frames[1] == Self.adminSignature else {
                replyAdmin(badRequest: "expected RBA1, command, JSON", to: peer)
                continue
            }
            let command = String(decoding: frames[2], as: UTF8.self)
            do {
                try handleAdmin(command, arguments: try AdminArguments(frames[3]), from: peer, now: now)
            } catch {
                replyAdmin(badRequest: error.reason, to: peer)
            }
        }
    }

    /// One well-framed request: its arguments are checked here, with BAD_REQUEST for a member of the wrong
    /// type or a missing one (ADMIN-1 Errors).
    private func handleAdmin(
        _ command: String, arguments: AdminArguments, from peer: AdminPeer, now: Int64
    ) throws(AdminArguments.BadRequest) {
        switch command {
        case "OVERDUE":
            let region = try arguments.text("region")
            let agency = try arguments.text("agency")
            let risk = try arguments.text("risk")
            storeRequests.append(.overdue(now: now, region: region, agency: agency, risk: risk, replyTo: peer))
        case "STATUS":
            replyAdmin(ok: true, object: statusObject(now: now), to: peer)
        case "TRAIL":
            let usage = "TRAIL needs exactly one of {\"message\":{\"sender\",\"id\"}} and {\"case\"}"
            switch (try arguments.object("message"), try arguments.text("case")) {
            case (let message?, nil):
                guard let sender = try AdminArguments.text(message, "sender", path: "message.sender"),
                    let id = try AdminArguments.text(message, "id", path: "message.id")
                else { throw AdminArguments.BadRequest(reason: usage) }
                storeRequests.append(.trail(.message(sender: sender, id: id), replyTo: peer))
            case (nil, let caseId?):
                storeRequests.append(.trail(.caseId(caseId.lowercased()), replyTo: peer))
            default:
                throw AdminArguments.BadRequest(reason: usage)
            }
        case "CASE":
            let caseId = try arguments.requiredText("case", command: "CASE")
            storeRequests.append(.caseInfo(caseId: caseId.lowercased(), replyTo: peer))
        case "RELOAD":
            reload(now: now, replyTo: peer)
        case "AUDIT-VERIFY":
            storeRequests.append(.verifyAudit(replyTo: peer))
        case "AUDIT-EXPORT":
            let since = try arguments.integer("since", minimum: 0) ?? 0
            let limit = try arguments.integer("limit", minimum: 1).map { Int(clamping: $0) }
            storeRequests.append(.exportAudit(since: since, limit: limit, replyTo: peer))
        default:
            replyAdmin(ok: false, object: ["code": "UNKNOWN_COMMAND", "reason": "unknown admin command"], to: peer)
        }
    }

    private func replyAdmin(badRequest reason: String, to peer: AdminPeer) {
        replyAdmin(ok: false, object: ["code": "BAD_REQUEST", "reason": reason], to: peer)
    }

    func statusObject(now: Int64) -> [String: Any] {
        let statuses = Dictionary(scheduler.nodeStatuses().map { ($0.node, $0) }, uniquingKeysWith: { a, _ in a })
        var nodes: [[String: Any]] = []
        let entries = jurisdiction.directory.allEntries
        var ids = entries.map(\.id).sorted()
        ids += statuses.keys.filter { jurisdiction.entry($0) == nil }.sorted()
        var deadTotal = 0
        for id in ids {
            let status = statuses[id]
            let entry = jurisdiction.entry(id)
            deadTotal += status?.deadLetters ?? 0
            nodes.append([
                "node": id, "agency": entry?.agency.rawValue ?? "", "kind": entry?.kind ?? "",
                "division": entry?.division ?? "", "state": entry?.state.rawValue ?? "removed",
                "name": entry?.name ?? "(not in the directory)",
                "connected": status?.connected ?? false, "pending": status?.pending ?? 0,
                "in_flight": status?.inFlight ?? 0, "dead_letters": status?.deadLetters ?? 0,
                "receipts_pending": status?.receiptsPending ?? 0,
            ])
        }
        let held: [[String: Any]] = scheduler.heldLanes().map {
            ["case": $0.caseId, "recipient": $0.recipient, "since": $0.since, "seq": $0.seq]
        }
        let statistics = worker.statistics
        return [
            "broker": [
                "version": ProductVersion.string, "started_at": startedAt, "uptime_ms": now - startedAt,
                "endpoint": boundEndpoint, "store_transactions": statistics.transactions,
                "security": configuration.insecurePlaintext ? "plaintext-development" : "curve",
                "store_rows_written": statistics.rowsWritten,
            ] as [String: Any],
            "nodes": nodes, "held_cases": held, "dead_letters": deadTotal,
        ]
    }

    static func trailObject(_ entry: TrailEntry) -> [String: Any] {
        var object: [String: Any] = [
            "at": entry.at, "event": entry.event.rawValue, "seq": entry.seq, "message_id": entry.messageId,
            "sender": entry.sender,
        ]
        if let recipient = entry.recipient { object["recipient"] = recipient }
        if let attempt = entry.attempt { object["attempt"] = attempt }
        if let detail = entry.detail { object["detail"] = detail }
        return object
    }

    func replyAdmin(ok: Bool, object: [String: Any], to peer: AdminPeer) {
        let json = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8)
        var frames: [[UInt8]] = [peer.routingId, Self.adminSignature, Array((ok ? "OK" : "ERROR").utf8), Array(json)]
        if peer.delimited { frames.insert([], at: 1) }
        do {
            _ = try admin.send(frames, dontWait: true)
        } catch {
            logger.debug("admin reply not sent", metadata: ["error": "\(error)"])
        }
    }
}

/// Where an admin reply goes: the client's routing id, and whether its request began with the empty delimiter
/// of a REQ socket, which the reply must carry back.
struct AdminPeer: Sendable, Hashable {
    var routingId: [UInt8]
    var delimited: Bool
}
