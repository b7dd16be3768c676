import AgencyDirectory
import BrokerStore
import Foundation
import Logging
import ReferralProtocol

/// Directory reload (SIGHUP or `referralctl directory reload`). A file that does not load
/// never replaces the good directory. A node that is suspended or removed loses its session
/// at once (ERROR NODE_SUSPENDED, fatal); from then on everything from its key is ignored and
/// its handshakes are refused. Healthy sessions are not touched.
extension PollLoop {
    func reloadDirectory(now: Int64, replyTo: [UInt8]?) {
        let next: Jurisdiction
        do {
            next = try Jurisdiction.load(configuration, divisions: divisions)
        } catch {
            logger.error("directory reload refused; the current directory stays", metadata: ["error": "\(error)"])
            audit(
                AuditEvent(
                    at: now, event: AuditEvent.Name.directoryReloaded, code: "BAD_DIRECTORY",
                    detail: "refused; the current directory stays"))
            if let replyTo { replyAdmin(ok: false, object: ["code": "BAD_DIRECTORY", "reason": "\(error)"], to: replyTo) }
            return
        }
        let before = Dictionary(uniqueKeysWithValues: jurisdiction.directory.allEntries.map { ($0.id, $0) })
        let after = Dictionary(uniqueKeysWithValues: next.directory.allEntries.map { ($0.id, $0) })
        let added = after.keys.filter { before[$0] == nil }.sorted()
        let removed = before.keys.filter { after[$0] == nil }.sorted()
        let suspended = after.values.filter { !$0.isActive && (before[$0.id]?.isActive ?? false) }.map(\.id).sorted()
        let reactivated = after.values.filter { $0.isActive && !(before[$0.id]?.isActive ?? true) }.map(\.id).sorted()
        let rekeyed = after.values.filter { entry in before[entry.id].map { $0.publicKey != entry.publicKey } ?? false }
            .map(\.id).sorted()
        jurisdiction = next
        for node in removed + suspended + rekeyed {
            guard let connection = connections[node] else { continue }
            _ = send(
                .error(
                    ErrorReply(
                        code: .nodeSuspended, reason: "this node was suspended, removed or re-keyed in the directory",
                        fatal: true, command: nil, field: nil)), to: connection.routingId)
            scheduler.closeSession(node: node, reason: .fatalError, now: now)
        }
        let summary =
            "nodes=\(after.count) added=\(added.count) removed=\(removed.count) suspended=\(suspended.count) "
            + "reactivated=\(reactivated.count) rekeyed=\(rekeyed.count)"
        logger.notice("directory reloaded", metadata: ["summary": "\(summary)"])
        audit(AuditEvent(at: now, event: AuditEvent.Name.directoryReloaded, detail: summary))
        if let replyTo {
            replyAdmin(
                ok: true,
                object: [
                    "nodes": after.count, "added": added, "removed": removed, "suspended": suspended,
                    "reactivated": reactivated, "rekeyed": rekeyed,
                ], to: replyTo)
        }
    }
}
