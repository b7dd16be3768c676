import AgencyDirectory
import BrokerCore
import BrokerStore
import Foundation
import Logging
import ZeroMQ

/// The operators' admin endpoint (protocols/ADMIN-1.md): STATUS is answered from the
/// scheduler's memory, TRAIL is read by the store thread.
extension PollLoop {
    static let adminSignature: [UInt8] = [0x52, 0x42, 0x41, 0x01]  // "RBA" 1

    func receiveAdmin(now: Int64) {
        for _ in 0..<64 {
            guard let message = try? admin.receive(dontWait: true) else { return }
            let frames = message.frames
            guard frames.count == 4, frames[1] == Self.adminSignature else {
                if let routingId = frames.first {
                    replyAdmin(ok: false, object: ["code": "BAD_REQUEST", "reason": "expected RBA1, command, JSON"], to: routingId)
                }
                continue
            }
            let routingId = frames[0]
            let command = String(decoding: frames[2], as: UTF8.self)
            let arguments = (try? JSONSerialization.jsonObject(with: Data(frames[3]))) as? [String: Any] ?? [:]
            switch command {
            case "OVERDUE":
                func filter(_ key: String) -> String? {
                    guard let text = arguments[key] as? String, !text.isEmpty else { return nil }
                    return text
                }
                storeRequests.append(
                    .overdue(
                        now: now, region: filter("region"), agency: filter("agency"), risk: filter("risk"),
                        replyTo: routingId))
            case "STATUS":
                replyAdmin(ok: true, object: statusObject(now: now), to: routingId)
            case "TRAIL":
                if let message = arguments["message"] as? [String: Any], let sender = message["sender"] as? String,
                    let id = message["id"] as? String
                {
                    storeRequests.append(.trail(.message(sender: sender, id: id), replyTo: routingId))
                } else if let caseId = arguments["case"] as? String {
                    storeRequests.append(.trail(.caseId(caseId.lowercased()), replyTo: routingId))
                } else {
                    replyAdmin(
                        ok: false,
                        object: ["code": "BAD_REQUEST", "reason": "TRAIL needs {\"message\":{\"sender\",\"id\"}} or {\"case\"}"],
                        to: routingId)
                }
            case "CASE":
                if let caseId = arguments["case"] as? String, !caseId.isEmpty {
                    storeRequests.append(.caseInfo(caseId: caseId.lowercased(), replyTo: routingId))
                } else {
                    replyAdmin(
                        ok: false, object: ["code": "BAD_REQUEST", "reason": "CASE needs {\"case\": case-id}"],
                        to: routingId)
                }
            case "RELOAD":
                reload(now: now, replyTo: routingId)
            case "AUDIT-VERIFY":
                storeRequests.append(.verifyAudit(replyTo: routingId))
            case "AUDIT-EXPORT":
                let since = (arguments["since"] as? NSNumber)?.int64Value ?? 0
                let limit = (arguments["limit"] as? NSNumber)?.intValue
                storeRequests.append(.exportAudit(since: since, limit: limit, replyTo: routingId))
            default:
                replyAdmin(ok: false, object: ["code": "UNKNOWN_COMMAND", "reason": "unknown admin command"], to: routingId)
            }
        }
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
                "version": BrokerVersion.string, "started_at": startedAt, "uptime_ms": now - startedAt,
                "endpoint": boundEndpoint, "store_transactions": statistics.transactions,
                "security": configuration.insecurePlaintext ? "plaintext-development" : "curve",
                "store_rows_written": statistics.rowsWritten,
            ] as [String: Any],
            "nodes": nodes, "held_cases": held, "dead_letters": deadTotal,
        ]
    }

    static func trailObject(_ entry: TrailEntry) -> [String: Any] {
        var object: [String: Any] = [
            "at": entry.at, "event": entry.event, "seq": entry.seq, "message_id": entry.messageId, "sender": entry.sender,
        ]
        if let recipient = entry.recipient { object["recipient"] = recipient }
        if let attempt = entry.attempt { object["attempt"] = attempt }
        if let detail = entry.detail { object["detail"] = detail }
        return object
    }

    func replyAdmin(ok: Bool, object: [String: Any], to routingId: [UInt8]) {
        let json = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8)
        let frames: [[UInt8]] = [routingId, Self.adminSignature, Array((ok ? "OK" : "ERROR").utf8), Array(json)]
        do {
            _ = try admin.send(frames, dontWait: true)
        } catch {
            logger.debug("admin reply not sent", metadata: ["error": "\(error)"])
        }
    }
}
