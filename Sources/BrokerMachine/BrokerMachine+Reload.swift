import AgencyDirectory
import CaseCore
import ReferralProtocol
import StoreModel

/// Everything a reload swaps in, read by the shell (SIGHUP or `referralctl directory reload`).
public struct Reloadable: Sendable {
    public var jurisdiction: Jurisdiction
    public var escalation: EscalationSettings

    public init(jurisdiction: Jurisdiction, escalation: EscalationSettings) {
        (self.jurisdiction, self.escalation) = (jurisdiction, escalation)
    }
}

/// Why a reload was refused: every file that failed, each naming its file and field.
public struct ReloadRefusal: Error, Sendable, CustomStringConvertible {
    public var problems: [String]
    public var description: String { problems.joined(separator: "; ") }

    public init(problems: [String]) { self.problems = problems }
}

/// Reload: the directory with the authorization policy, the escalation policy and the calendar, swapped in
/// together or not at all (the shell reads them all first). A node that is suspended, removed or re-keyed loses
/// its session at once (ERROR NODE_SUSPENDED, fatal); healthy sessions are not touched. New deadlines use the new
/// escalation policy; running escalations keep the `PolicySnapshot` stored with them, while the new calendar
/// counts working time for their next steps too.
extension BrokerMachine {
    mutating func reload(_ loaded: Result<Reloadable, ReloadRefusal>, replyTo: AdminPeer?, now: Int64) {
        let next: Reloadable
        switch loaded {
        case .failure(let refusal):
            // The reason names files and fields only, never message content.
            log(
                .error, "reload refused; the directory, escalation policy and calendar in force all stay",
                ["error": "\(refusal)"])
            audit(
                AuditEvent(
                    at: now, event: AuditEvent.Name.directoryReloaded, code: "BAD_DIRECTORY",
                    detail: "refused; the directory, escalation policy and calendar in force stay"))
            if let replyTo { reply(.error(AdminError(.badDirectory, "\(refusal)")), to: replyTo) }
            return
        case .success(let reloadable):
            next = reloadable
        }
        // The operators' overrides are laid over the new file too: the changes are those of the directory in force.
        let before = jurisdiction.directory
        fileJurisdiction = next.jurisdiction
        layOverrides(now: now)
        let changes = DirectoryChanges(before: before, after: jurisdiction.directory)
        escalation = next.escalation
        planner = EscalationPlanner(calendar: next.escalation.calendar)
        endSessions(of: changes.removed + changes.suspended + changes.rekeyed, now: now)
        // A session on a key the new file no longer lets in (a replaced key whose grace the file ended).
        endSessionsNoLongerAdmitted(reason: "this node was suspended, removed or re-keyed in the directory", now: now)
        let revision = next.escalation.policies.revision
        log(
            .notice, "reloaded: directory, escalation policy and calendar",
            ["summary": changes.summary, "escalation_policy": revision])
        audit(
            AuditEvent(
                at: now, event: AuditEvent.Name.directoryReloaded,
                detail: "\(changes.summary) escalation_policy=\(revision)"))
        if let replyTo { reply(.ok(.reload(AdminReload(changes, escalationPolicy: revision))), to: replyTo) }
    }

    /// Nodes that must not keep their session: told so (fatal), then their session is closed.
    private mutating func endSessions(of nodes: [String], now: Int64) {
        for node in nodes {
            guard let connection = sessions.connection(node) else { continue }
            let reason = "this node was suspended, removed or re-keyed in the directory"
            answer(
                .error(ErrorReply(code: .nodeSuspended, reason: reason, fatal: true, command: nil, field: nil)),
                node: node, to: connection.routingId, now: now)
            endSession(onConnection: connection.routingId, now: now)
        }
    }

    /// SIGTERM: refuse new SENDs (SHUTTING_DOWN, retryable), let the commit in progress and everything queued
    /// finish and answer those SENDs; the shell then says BYE to every node (`finish`).
    mutating func beginStop(now: Int64) {
        guard !stopping else { return }
        stopping = true
        stopDeadline = now + settings.stopGraceMs
        log(.info, "stopping: finishing the commits in progress", ["pending_accepts": "\(pendingAccepts)"])
    }

    /// Whether a stopping broker may exit: every SEND answered and the store idle (`storeDrained`), or the grace
    /// period over.
    public mutating func mayExit(now: Int64, storeDrained: Bool) -> (exit: Bool, actions: [MachineAction]) {
        guard stopping else { return (false, []) }
        if pendingAccepts == 0 && storeDrained { return (true, []) }
        guard now >= stopDeadline else { return (false, []) }
        return (
            true,
            [.log(LogLine(.warning, "stopping before the store drained", ["pending_accepts": "\(pendingAccepts)"]))]
        )
    }
}

/// What a directory reload changed, by node id (each list sorted).
public struct DirectoryChanges: Sendable, Hashable {
    public var count: Int
    public var added: [String]
    public var removed: [String]
    public var suspended: [String]
    public var reactivated: [String]
    public var rekeyed: [String]

    public init(before old: Directory, after new: Directory) {
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

    public var summary: String {
        "nodes=\(count) added=\(added.count) removed=\(removed.count) suspended=\(suspended.count) "
            + "reactivated=\(reactivated.count) rekeyed=\(rekeyed.count)"
    }
}
