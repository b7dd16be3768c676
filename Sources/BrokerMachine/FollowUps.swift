import AgencyDirectory
import CaseCore
import ReferralProtocol
import StoreModel

/// Follow-up plans of discharge notices (1/RBP §7.3.2), pure: checking a plan against the directory,
/// the visit deadlines it sets, and what `followup.visit` and `followup.closed` do to them.
enum FollowUps {
    static let visitKind = "followup.visit"
    static let closedKind = "followup.closed"

    /// A plan whose addresses resolved: the nodes that owe visits, and those whose `followup.closed`
    /// ends it (the notice's sender, then the owner).
    struct Resolved: Sendable, Hashable {
        var plan: FollowUpPlan
        var parties: [String]
        var closers: [String]
    }

    /// Resolves `visits_by` and `owner` like `to` (same codes, naming the address as written); every
    /// node owing visits must be among the notice's recipients (`recipients`, resolved), so that it
    /// is told of its duty; the owner must resolve to exactly one node.
    static func resolve(
        _ header: FollowUpHeader, sender: String, recipients: [String], directory: Directory
    ) -> Result<Resolved, AdmissionRefusal> {
        let plan: FollowUpPlan
        do {
            plan = try FollowUpPlan(steps: header.steps)
        } catch {
            return .failure(AdmissionRefusal(code: .badField, reason: "followup: \(error.reason)", field: "followup"))
        }
        let parties: [String]
        switch directory.resolve(recipients: header.visitsBy) {
        case .failure(let failure):
            return .failure(AdmissionRefusal(failure, followUpMember: "followup.visits_by"))
        case .nodes(let ids, _):
            parties = ids
        }
        if let missing = parties.first(where: { !recipients.contains($0) }) {
            return .failure(
                AdmissionRefusal(
                    code: .badField,
                    reason: "followup.visits_by: \(missing) owes visits but is not among the recipients",
                    field: "followup"))
        }
        var closers = [sender]
        if let owner = header.owner {
            switch directory.resolve(recipients: [owner]) {
            case .failure(let failure):
                return .failure(AdmissionRefusal(failure, followUpMember: "followup.owner"))
            case .nodes(let ids, _):
                guard ids.count == 1, let node = ids.first else {
                    return .failure(
                        AdmissionRefusal(
                            code: .badField, reason: "followup.owner must reach exactly one node, not \(ids.count)",
                            field: "followup"))
                }
                if node != sender { closers.append(node) }
            }
        }
        return .success(Resolved(plan: plan, parties: parties, closers: closers))
    }

    /// The rows a stored discharge notice with a plan sets (named after its seq once stored), on the `follow-up`
    /// risk level's policy: a delivery deadline per recipient (when that policy has one) and, per
    /// party, one deadline per visit, counted from acceptance; visit rows carry the closers.
    static func arming(
        _ resolved: Resolved, settings: EscalationSettings, directory: Directory, caseId: String, sender: String,
        messageId: String, recipients: [String], dayMs: Int64, now: Int64
    ) -> [NewDeadline] {
        let source = DeadlineSource(
            caseId: caseId, seq: 0, kind: FollowUpHeader.kind, level: .followUp, acceptedAt: now)
        var deadlines = settings.policies.deadlines(for: source, recipients: recipients, calendar: settings.calendar)
        for party in resolved.parties {
            deadlines += settings.policies.followUpDeadlines(
                for: source, plan: resolved.plan, responsible: party, calendar: settings.calendar, dayMs: dayMs)
        }
        return deadlines.map { deadline in
            let party = directory.entry(id: deadline.awaited.party)
            var row = DeadlineRows.arming(
                deadline, sender: sender, messageId: messageId, region: party?.division,
                agency: party?.agency.rawValue, risk: RiskLevel.followUp.rawValue, now: now)
            if case .followUpVisit = deadline.awaited { row.closers = resolved.closers }
            return row
        }
    }

    /// What a stored `followup.visit` or `followup.closed` in a case does to the plan's deadlines.
    static func meeting(kind: String, caseId: String?, sender: String) -> FollowUpMeet? {
        guard let caseId else { return nil }
        switch kind {
        case visitKind: return .visit(caseId: caseId, party: sender)
        case closedKind: return .close(caseId: caseId, closer: sender)
        default: return nil
        }
    }
}

/// A follow-up message's effect, written with it only if it is stored.
public enum FollowUpMeet: Sendable, Hashable {
    /// Meets the earliest open visit `party` owes in the case.
    case visit(caseId: String, party: String)
    /// Ends the plans of the case that `closer` may close: their open visits are cancelled.
    case close(caseId: String, closer: String)
}
