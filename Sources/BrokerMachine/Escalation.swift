import AgencyDirectory
import CaseCore
import ReferralProtocol
import StoreModel

/// The escalation settings in force: the policies (new deadlines snapshot them) and the working
/// calendar (used when firing too). Read at start from `escalation_policy_file` and
/// `calendar_file`, and again on reload (SIGHUP, ADMIN RELOAD) together with the directory.
public struct EscalationSettings: Sendable {
    public var policies: EscalationPolicies
    public var calendar: WorkingCalendar

    public init(policies: EscalationPolicies, calendar: WorkingCalendar) {
        (self.policies, self.calendar) = (policies, calendar)
    }

    public static let defaults = EscalationSettings(policies: .default, calendar: WorkingCalendar())

    /// The reserved sender id of the messages the broker itself sends (escalation notices).
    public static let brokerSender = "referrald"
}

/// A deadline row as the daemon reads it back: CaseCore's `Deadline` plus the sender and id of the
/// message that set it (named in the notice).
struct StoredDeadline: Sendable, Hashable {
    var record: DeadlineRecord
    var deadline: Deadline
    var sender: String
    var messageId: String
}

/// How a CaseCore `Deadline` is kept in a store row.
///
/// - `item`: `Awaited.encoded` (`delivery:<seq>:<node>`, `answer:<node>:<kinds>`): the key that meets it.
/// - `notice`: the kind, seq, sender and message id of the message that set the item's first deadline, and that
///   first due time (what a notice names).
/// - `policy`: `PolicySnapshot.encoded`, the policy in force when the item's first deadline was set: later policy
///   edits never change it.
///
/// When arming, the message's seq is not known yet: the row names "the message of this accept unit"
/// (`DeadlineItem.deliveryOfArmingMessage`, `armedBy` nil) and the store fills it in.
enum DeadlineRows {
    /// The row of a deadline set by a message being accepted (seq not known yet).
    static func arming(
        _ deadline: Deadline, sender: String, messageId: String, region: String?, agency: String?, risk: String?,
        now: Int64
    ) -> NewDeadline {
        let item: DeadlineItem
        if case .delivery(_, let recipient) = deadline.awaited {
            item = .deliveryOfArmingMessage(to: recipient)
        } else {
            item = .text(deadline.awaited.encoded)
        }
        return NewDeadline(
            caseId: deadline.caseId, item: item, dueAt: deadline.due, level: deadline.level,
            notice: DeadlineNotice(
                kind: deadline.kind, armedBy: nil, sender: sender, messageId: messageId,
                originalDue: deadline.originalDue),
            policy: deadline.policy.encoded, createdAt: now, region: region, agency: agency, risk: risk)
    }

    /// The row of the next step after `stored` fired.
    static func next(_ next: Deadline, after stored: StoredDeadline, now: Int64) -> NewDeadline {
        // The notice names the item's first deadline, whatever step this is.
        NewDeadline(
            caseId: stored.record.caseId, item: .text(stored.record.item), dueAt: next.due, level: next.level,
            notice: DeadlineNotice(
                kind: stored.deadline.kind, armedBy: stored.deadline.armedBy, sender: stored.sender,
                messageId: stored.messageId, originalDue: stored.deadline.originalDue),
            policy: stored.record.policy, createdAt: now, region: stored.record.region, agency: stored.record.agency,
            risk: stored.record.risk, closers: stored.record.closers)
    }

    /// Reads a row back; nil for a row this daemon cannot interpret.
    static func read(_ record: DeadlineRecord) -> StoredDeadline? {
        guard let notice = record.notice, let armedBy = notice.armedBy,
            let snapshot = PolicySnapshot(encoded: record.policy), let awaited = Awaited(encoded: record.item)
        else { return nil }
        let deadline = Deadline(
            caseId: record.caseId, armedBy: armedBy, kind: notice.kind, awaited: awaited, due: record.dueAt,
            originalDue: notice.originalDue, level: record.level, policy: snapshot)
        return StoredDeadline(record: record, deadline: deadline, sender: notice.sender, messageId: notice.messageId)
    }
}

/// Pure helpers of escalation in the daemon: arming, meeting and the notice's body.
public enum Escalation {
    /// The agencies a crisis alert's escalation notifies at once (the brief's crisis parties:
    /// police, civil affairs, education and the hotline).
    static let crisisAgencies: [Agency] = [.publicSecurity, .civilAffairs, .education, .youthLeague]

    /// The kind by which each party of a crisis alert acknowledges it (`Answers`: it meets that party's
    /// answer deadline of the alert).
    static let acknowledgment = "crisis.acknowledged"

    /// Every kind that sets deadlines: the two below, and a discharge notice with a follow-up plan
    /// (`FollowUps`). A policy file's `kinds` may name only these.
    public static let kindsWithDeadlines = ["crisis.alert", FollowUpHeader.kind, "referral.request"]

    /// The kinds whose acceptance sets answer deadlines: a tracked referral request and a crisis alert.
    static func arms(kind: String, tracked: Bool) -> Bool {
        (kind == "referral.request" && tracked) || kind == "crisis.alert"
    }

    static func riskLevel(_ priority: Priority) -> RiskLevel {
        RiskLevel(rawValue: priority.rawValue) ?? .routine
    }

    /// The deadline rows a message sets when it is stored (named after its seq once stored).
    static func arming(
        settings: EscalationSettings, directory: Directory, kind: String, caseId: String?, sender: String,
        messageId: String, recipients: [String], priority: Priority, now: Int64
    ) -> [NewDeadline] {
        let level = riskLevel(priority)
        let source = DeadlineSource(caseId: caseId, seq: 0, kind: kind, level: level, acceptedAt: now)
        return settings.policies.deadlines(for: source, recipients: recipients, calendar: settings.calendar).map {
            let party = directory.entry(id: $0.awaited.party)
            return DeadlineRows.arming(
                $0, sender: sender, messageId: messageId, region: party?.division, agency: party?.agency.rawValue,
                risk: level.rawValue, now: now)
        }
    }

    /// The answer items a message of `kind` from `sender` meets (`Answers`).
    static func answeredItems(kind: String, sender: String) -> [String] {
        Answers.table.values.filter { $0.contains(kind) }.map {
            Awaited.answer(kinds: $0, from: sender).encoded
        }.sorted()
    }

    /// The escalation chains for a deadline's late party: its own agency's chain first; with fan-out,
    /// the chains of every crisis agency too. When the directory has no supervisor of the party's own
    /// agency above it, the chain of the message's sender (e.g. the referring school's education chain)
    /// takes its place, so that an overdue item always reaches someone who can act.
    static func chains(for deadline: Deadline, sender: String, directory: Directory) -> [EscalationChain] {
        let party = deadline.awaited.party
        var own = directory.escalationChain(of: party, agency: nil)
        if own.allSatisfy(\.isEmpty) { own = directory.escalationChain(of: sender, agency: nil) }
        var chains = [own]
        if deadline.policy.fanOut {
            let own = directory.entry(id: party)?.agency
            for agency in crisisAgencies where agency != own {
                chains.append(directory.escalationChain(of: party, agency: agency))
            }
        }
        return chains
    }

    /// The body of an `escalation.notice` (protocols/business/schemas/escalation.notice.schema.json): the
    /// case, the overdue item, the level, the original deadline and the chain so far. Nothing about the
    /// child: the broker never reads bodies.
    static func noticeBody(
        _ notice: EscalationNotice, stored: StoredDeadline, next: Deadline, chains: [EscalationChain],
        planner: EscalationPlanner, now: Int64
    ) -> [UInt8] {
        var overdue: [String: JSONValue] = [
            "kind": .string(notice.kind), "party": .string(notice.overdue.party),
            "message": sorted(["from": .string(stored.sender), "id": .string(stored.messageId)]),
        ]
        switch notice.overdue {
        case .delivery: overdue["awaiting"] = .string("delivery")
        case .answer: overdue["awaiting"] = .string(notice.kind == "crisis.alert" ? "acknowledgment" : "answer")
        case .followUpVisit(let number, _):
            overdue["awaiting"] = .string("followup-visit")
            overdue["visit_number"] = .integer(Int64(number))
        }
        // The earlier levels of the climb, each at its due time (firing is a pure function of the deadline).
        // Reminders at the top of the climb repeat the notice's level and are not earlier levels.
        var chain: [JSONValue] = []
        var earlier = stored.deadline
        earlier.level = 0
        earlier.due = earlier.originalDue
        while earlier.level < stored.deadline.level,
            case .escalate(let step, let following) = planner.fire(
                earlier, stillOpen: true, chains: chains, now: Int64.max),
            step.level < notice.level
        {
            chain.append(
                sorted([
                    "level": .integer(Int64(step.level)), "notified": .array(step.recipients.map(JSONValue.string)),
                    "at": .string(timestamp(earlier.due)),
                ]))
            earlier = following
        }
        var object: [String: JSONValue] = [
            "overdue": sorted(overdue), "level": .integer(Int64(notice.level)),
            "deadline": .string(timestamp(notice.originalDue)), "escalated_at": .string(timestamp(now)),
            "chain": .array(chain), "next_escalation_at": .string(timestamp(next.due)),
        ]
        if let caseId = notice.caseId { object["case_id"] = .string(caseId) }
        return JSONWriter.encode(sorted(object))
    }

    /// An object with its members in key order (the notice's bodies have always been written so).
    private static func sorted(_ members: [String: JSONValue]) -> JSONValue {
        .object(members.sorted { $0.key < $1.key }.map { (key: $0.key, value: $0.value) })
    }

    /// RFC 3339 in China time, seconds, no fraction: `2026-03-02T09:30:00+08:00`.
    static func timestamp(_ ms: Int64) -> String {
        let local = ms + ChinaTime.offsetMs
        let day = local >= 0 ? local / ChinaTime.dayMs : (local - ChinaTime.dayMs + 1) / ChinaTime.dayMs
        let date = ChinaTime.date(ofDay: day)
        let seconds = (local - day * ChinaTime.dayMs) / 1000
        func digits(_ value: Int, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        let (hours, minutes) = (Int(seconds / 3600), Int(seconds / 60 % 60))
        return "\(digits(date.year, 4))-\(digits(date.month, 2))-\(digits(date.day, 2))T"
            + "\(digits(hours, 2)):\(digits(minutes, 2)):\(digits(Int(seconds % 60), 2))+08:00"
    }
}
