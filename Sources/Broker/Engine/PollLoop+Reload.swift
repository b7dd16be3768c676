import AgencyDirectory
import BrokerStore
import CaseCore
import Foundation
import Logging
import ReferralProtocol

/// Reload (SIGHUP or `referralctl directory reload`): the agency directory with the authorization policy, the
/// escalation policy file and the calendar file are read again, all together. Atomic: if any of them does not
/// load, nothing changes (the directory, policies and calendar in force all stay), so an operator never runs on
/// a half-applied edit. A node that is suspended, removed or re-keyed loses its session at once (ERROR
/// NODE_SUSPENDED, fatal); from then on everything from its key is ignored and its handshakes are refused.
/// Healthy sessions are not touched. New deadlines use the new escalation policy; running escalations keep the
/// `PolicySnapshot` stored with them, while the new calendar counts working time for their next steps too.
extension PollLoop {
    /// Everything a reload swaps in.
    struct Reloadable {
        var jurisdiction: Jurisdiction
        var escalation: EscalationSettings
    }

    /// Why a reload was refused: every file that failed, each naming its file and field.
    struct ReloadRefusal: Error, CustomStringConvertible {
        var problems: [String]
        var description: String { problems.joined(separator: "; ") }
    }

    /// Reads every reloadable file. All are tried, so one refusal names every broken file at once.
    static func loadReloadable(
        _ configuration: BrokerConfiguration, divisions: DivisionTable
    ) -> Result<Reloadable, ReloadRefusal> {
        var problems: [String] = []
        var jurisdiction: Jurisdiction?
        var escalation: EscalationSettings?
        do { jurisdiction = try Jurisdiction.load(configuration, divisions: divisions) } catch {
            problems.append("\(error)")
        }
        do { escalation = try EscalationSettings.load(configuration) } catch { problems.append("\(error)") }
        guard let jurisdiction, let escalation, problems.isEmpty else {
            return .failure(ReloadRefusal(problems: problems))
        }
        return .success(Reloadable(jurisdiction: jurisdiction, escalation: escalation))
    }

    func reload(now: Int64, replyTo: AdminPeer?) {
        let next: Reloadable
        switch Self.loadReloadable(configuration, divisions: divisions) {
        case .failure(let refusal):
            refuseReload(refusal, now: now, replyTo: replyTo)
            return
        case .success(let loaded):
            next = loaded
        }
        let changes = DirectoryChanges(before: jurisdiction.directory, after: next.jurisdiction.directory)
        jurisdiction = next.jurisdiction
        escalation = next.escalation
        planner = EscalationPlanner(calendar: next.escalation.calendar)
        endSessions(of: changes.removed + changes.suspended + changes.rekeyed, now: now)
        let revision = next.escalation.policies.revision
        logger.notice(
            "reloaded: directory, escalation policy and calendar",
            metadata: ["summary": "\(changes.summary)", "escalation_policy": "\(revision)"])
        audit(
            AuditEvent(
                at: now, event: AuditEvent.Name.directoryReloaded,
                detail: "\(changes.summary) escalation_policy=\(revision)"))
        if let replyTo {
            replyAdmin(.ok(.reload(AdminReload(changes, escalationPolicy: revision))), to: replyTo)
        }
    }

    private func refuseReload(_ refusal: ReloadRefusal, now: Int64, replyTo: AdminPeer?) {
        // The reason names files and fields only, never message content.
        logger.error(
            "reload refused; the directory, escalation policy and calendar in force all stay",
            metadata: ["error": "\(refusal)"])
        audit(
            AuditEvent(
                at: now, event: AuditEvent.Name.directoryReloaded, code: "BAD_DIRECTORY",
                detail: "refused; the directory, escalation policy and calendar in force stay"))
        if let replyTo {
            replyAdmin(.error(AdminError(.badDirectory, "\(refusal)")), to: replyTo)
        }
    }

    /// Nodes that must not keep their session: told so (fatal), then their session is closed.
    private func endSessions(of nodes: [String], now: Int64) {
        for node in nodes {
            guard let connection = connections[node] else { continue }
            answer(
                .error(
                    ErrorReply(
                        code: .nodeSuspended, reason: "this node was suspended, removed or re-keyed in the directory",
                        fatal: true, command: nil, field: nil)), node: node, to: connection.routingId, now: now)
            endSession(onConnection: connection.routingId, now: now)
        }
    }
}

/// What a directory reload changed, by node id (each list sorted).
struct DirectoryChanges {
    var count: Int
    var added: [String]
    var removed: [String]
    var suspended: [String]
    var reactivated: [String]
    var rekeyed: [String]

    init(before old: Directory, after new: Directory) {
        let before = Dictionary(uniqueKeysWithValues: old.allEntries.map { ($0.id, $0) })
        let after = Dictionary(uniqueKeysWithValues: new.allEntries.map { ($0.id, $0) })
        count = after.count
        added = after.keys.filter { before[$0] == nil }.sorted()
        removed = before.keys.filter { after[$0] == nil }.sorted()
        suspended = after.values.filter { !$0.isActive && (before[$0.id]?.isActive ?? false) }.map(\.id).sorted()
        reactivated = after.values.filter { $0.isActive && !(before[$0.id]?.isActive ?? true) }.map(\.id).sorted()
        rekeyed = after.values.filter { entry in before[entry.id].map { $0.publicKey != entry.publicKey } ?? false }
            .map(\.id).sorted()
    }

    var summary: String {
        "nodes=\(count) added=\(added.count) removed=\(removed.count) suspended=\(suspended.count) "
            + "reactivated=\(reactivated.count) rekeyed=\(rekeyed.count)"
    }
}
