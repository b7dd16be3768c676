import AgencyDirectory
import BrokerCore
import BrokerStore
import CaseCore
import Foundation
import ReferralProtocol

/// The escalation settings in force: the policies (new deadlines snapshot them) and the working
/// calendar (used when firing too). Read at start from `escalation_policy_file` and
/// `calendar_file`, and again on reload (SIGHUP, ADMIN RELOAD) together with the directory.
struct EscalationSettings: Sendable {
    var policies: EscalationPolicies
    var calendar: WorkingCalendar

    static let defaults = EscalationSettings(policies: .default, calendar: WorkingCalendar())

    /// The reserved sender id of the messages the broker itself sends (escalation notices).
    static let brokerSender = "referrald"
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
/// - `policy`: `v1;<kind>;<armed-by seq>;<sender>;<message id>;<original due>;<PolicySnapshot.encoded>`
///   (none of the first five can hold `;`). The snapshot of the policy in force when the item's first
///   deadline was set: later policy edits never change it.
///
/// When arming, the message's seq is not known yet: the text `{seq}` stands for it and the store fills
/// it in (`StoreOp.addDeadlineIfStored`).
enum DeadlineRows {
    static let seqToken = "{seq}"

    static func item(_ awaited: Awaited, seqToken: Bool) -> String {
        if seqToken, case .delivery(_, let recipient) = awaited { return "delivery:\(Self.seqToken):\(recipient)" }
        return awaited.encoded
    }

    static func policy(_ deadline: Deadline, seq: String, sender: String, messageId: String) -> String {
        "v1;\(deadline.kind);\(seq);\(sender);\(messageId);\(deadline.originalDue);\(deadline.policy.encoded)"
    }

    /// The row of a deadline set by a message being accepted (seq not known yet).
    static func arming(
        _ deadline: Deadline, sender: String, messageId: String, region: String?, agency: String?, risk: String?,
        now: Int64
    ) -> NewDeadline {
        NewDeadline(
            caseId: deadline.caseId, item: item(deadline.awaited, seqToken: true), dueAt: deadline.due,
            level: deadline.level, policy: policy(deadline, seq: seqToken, sender: sender, messageId: messageId),
            createdAt: now, region: region, agency: agency, risk: risk)
    }

    /// The row of the next step after `stored` fired.
    static func next(_ next: Deadline, after stored: StoredDeadline, now: Int64) -> NewDeadline {
        NewDeadline(
            caseId: stored.record.caseId, item: stored.record.item, dueAt: next.due, level: next.level,
            policy: stored.record.policy, createdAt: now, region: stored.record.region, agency: stored.record.agency,
            risk: stored.record.risk, closers: stored.record.closers)
    }

    /// Reads a row back; nil for a row this daemon cannot interpret.
    static func read(_ record: DeadlineRecord) -> StoredDeadline? {
        let parts = record.policy.split(separator: ";", maxSplits: 6, omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 7, parts[0] == "v1", let armedBy = Int64(parts[2]), let originalDue = Int64(parts[5]),
            let snapshot = PolicySnapshot(encoded: parts[6]), let awaited = Awaited(encoded: record.item)
        else { return nil }
        let deadline = Deadline(
            caseId: record.caseId, armedBy: armedBy, kind: parts[1], awaited: awaited, due: record.dueAt,
            originalDue: originalDue, level: record.level, policy: snapshot)
        return StoredDeadline(record: record, deadline: deadline, sender: parts[3], messageId: parts[4])
    }
}

/// Pure helpers of escalation in the daemon: arming, meeting and the notice's body.
enum Escalation {
    /// The agencies a crisis alert's escalation notifies at once (the brief's crisis parties:
    /// police, civil affairs, education and the hotline).
    static let crisisAgencies: [Agency] = [.publicSecurity, .civilAffairs, .education, .youthLeague]

    /// The kind by which each party of a crisis alert acknowledges it (`Answers`: it meets that party's
    /// answer deadline of the alert).
    static let acknowledgment = "crisis.acknowledged"

    /// Every kind that sets deadlines: the two below, and a discharge notice with a follow-up plan
    /// (`FollowUps`). A policy file's `kinds` may name only these.
    static let kindsWithDeadlines = ["crisis.alert", FollowUpHeader.kind, "referral.request"]

    /// The kinds whose acceptance sets answer deadlines: a tracked referral request and a crisis alert.
    static func arms(kind: String, tracked: Bool) -> Bool {
        (kind == "referral.request" && tracked) || kind == "crisis.alert"
    }

    static func riskLevel(_ priority: Priority) -> RiskLevel {
        RiskLevel(rawValue: priority.rawValue) ?? .routine
    }

    /// The deadline rows a message sets when it is stored (`{seq}` for its seq).
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
        var overdue: [String: Any] = [
            "kind": notice.kind, "party": notice.overdue.party,
            "message": ["from": stored.sender, "id": stored.messageId],
        ]
        switch notice.overdue {
        case .delivery: overdue["awaiting"] = "delivery"
        case .answer: overdue["awaiting"] = notice.kind == "crisis.alert" ? "acknowledgment" : "answer"
        case .followUpVisit(let number, _):
            overdue["awaiting"] = "followup-visit"
            overdue["visit_number"] = number
        }
        // The earlier levels of the climb, each at its due time (firing is a pure function of the deadline).
        // Reminders at the top of the climb repeat the notice's level and are not earlier levels.
        var chain: [[String: Any]] = []
        var earlier = stored.deadline
        earlier.level = 0
        earlier.due = earlier.originalDue
        while earlier.level < stored.deadline.level,
            case .escalate(let step, let following) = planner.fire(
                earlier, stillOpen: true, chains: chains, now: Int64.max),
            step.level < notice.level
        {
            chain.append(["level": step.level, "notified": step.recipients, "at": timestamp(earlier.due)])
            earlier = following
        }
        var object: [String: Any] = [
            "overdue": overdue, "level": notice.level, "deadline": timestamp(notice.originalDue),
            "escalated_at": timestamp(now), "chain": chain, "next_escalation_at": timestamp(next.due),
        ]
        if let caseId = notice.caseId { object["case_id"] = caseId }
        let data =
            (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]))
            ?? Data()
        return Array(data)
    }

    /// RFC 3339 in China time, seconds, no fraction: `2026-03-02T09:30:00+08:00`.
    static func timestamp(_ ms: Int64) -> String {
        let local = ms + ChinaTime.offsetMs
        let day = local >= 0 ? local / ChinaTime.dayMs : (local - ChinaTime.dayMs + 1) / ChinaTime.dayMs
        let date = ChinaTime.date(ofDay: day)
        let seconds = (local - day * ChinaTime.dayMs) / 1000
        return String(
            format: "%04d-%02d-%02dT%02d:%02d:%02d+08:00", date.year, date.month, date.day, Int(seconds / 3600),
            Int(seconds / 60 % 60), Int(seconds % 60))
    }
}

/// The poll thread's view of the durable timers: only the next window of open deadlines, never all of
/// them. Refilled from the store (`dueDeadlines(before: now + horizon, limit:)`) when it has run out, when
/// its horizon has passed, or when a deadline due inside it was set since it was read.
struct DeadlineWindow {
    static let horizonMs: Int64 = 60_000
    static let limit = 1_000

    /// Due deadlines, latest first (the next one to fire is `last`).
    var pending: [DeadlineRecord] = []
    /// Every open deadline due before this is in `pending` (or already handed to the store to fire).
    var end: Int64 = Int64.min
    var requested = false
    var stale = true

    /// When the poll thread must wake for the window: the next due time, or its end to refill it.
    var nextWakeup: Int64? {
        if requested { return nil }
        if let next = pending.last { return min(next.dueAt, end) }
        return end == Int64.min ? nil : end
    }

    /// Whether the window must be read again now.
    func needsRefill(now: Int64) -> Bool {
        !requested && (stale || now >= end)
    }

    /// A deadline due at `due` was set (or a step stored): the window must be read again if it falls inside.
    mutating func noteSet(due: Int64) {
        if due < end { stale = true }
    }

    mutating func filled(_ records: [DeadlineRecord], before: Int64, limit: Int) {
        requested = false
        pending = records.reversed()
        // A full window holds every deadline before its last due time, but maybe not all of those due then.
        end = records.count < limit ? before : (records.last?.dueAt ?? before)
    }

    /// Takes the next deadline due at `now`, if any.
    mutating func takeDue(now: Int64) -> DeadlineRecord? {
        guard let next = pending.last, next.dueAt <= now else { return nil }
        return pending.removeLast()
    }
}
