import AgencyDirectory
import BrokerMachine
import CaseCore
import Foundation
import ReferralProtocol

/// Reload (SIGHUP or `referralctl directory reload`): the agency directory with the authorization policy, the
/// escalation policy file and the calendar file are read again, all together. Atomic: if any of them does not
/// load, nothing changes (the directory, policies and calendar in force all stay), so an operator never runs on
/// a half-applied edit. A node that is suspended, removed or re-keyed loses its session at once (ERROR
/// NODE_SUSPENDED, fatal); from then on everything from its key is ignored and its handshakes are refused.
/// Healthy sessions are not touched. New deadlines use the new escalation policy; running escalations keep the
/// `PolicySnapshot` stored with them, while the new calendar counts working time for their next steps too.
extension PollLoop {
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

    /// Reads the files and hands them (or why they could not be read) to the machine.
    func reload(now: Int64, replyTo: AdminPeer?) {
        let loaded = Self.loadReloadable(configuration, divisions: divisions)
        feed(.reload(loaded, replyTo: replyTo, now: now), now: now)
    }

    func replyReload(_ result: Result<DirectoryChanges, ReloadRefusal>, revision: String, to peer: AdminPeer) {
        switch result {
        case .success(let changes):
            replyAdmin(.ok(.reload(AdminReload(changes, escalationPolicy: revision))), to: peer)
        case .failure(let refusal):
            replyAdmin(.error(AdminError(.badDirectory, "\(refusal)")), to: peer)
        }
    }
}
