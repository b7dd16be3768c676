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

    static func load(_ configuration: BrokerConfiguration) throws -> EscalationSettings {
        var settings = EscalationSettings.defaults
        if !configuration.escalationPolicyFile.isEmpty {
            let path = configuration.escalationPolicyFile
            let field = "escalation_policy_file"
            let data = try read(path, field: field)
            do {
                let document = try policyDocument(try JSONFile.parse(data, file: nil))
                // The digest of the very bytes parsed: a file rewritten while it is read never gets the
                // revision of the other content.
                let revision = String(SHA256.hex(SHA256.hash(Array(data))).prefix(12))
                settings.policies = try EscalationPolicies(document: document, revision: revision)
            } catch let error as AgencyDirectory.ConfigurationError {
                throw ConfigurationError(source: path, field: field, problem: problem(error))
            } catch {
                throw ConfigurationError(source: path, field: field, problem: "\(error)")
            }
        }
        if !configuration.calendarFile.isEmpty {
            let path = configuration.calendarFile
            let field = "calendar_file"
            let data = try read(path, field: field)
            do {
                var root = try JSONObjectReader(try JSONFile.parse(data, file: nil), file: nil, entry: nil)
                let holidays = try root.optionalStrings("holidays") ?? []
                let workdays = try root.optionalStrings("workdays") ?? []
                try root.refuseUnknownKeys()
                settings.calendar = try WorkingCalendar(holidays: holidays, workdays: workdays)
            } catch let error as AgencyDirectory.ConfigurationError {
                throw ConfigurationError(source: path, field: field, problem: problem(error))
            } catch {
                throw ConfigurationError(source: path, field: field, problem: "\(error)")
            }
        }
        return settings
    }

    private static func read(_ path: String, field: String) throws -> Data {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigurationError(source: path, field: field, problem: "cannot be read (missing or no permission)")
        }
        return data
    }

    /// A fault of the file's JSON as `member.path: reason` (the file and the configuration field are named
    /// by the caller).
    private static func problem(_ error: AgencyDirectory.ConfigurationError) -> String {
        let path = [error.entry, error.field].compactMap { $0 }.joined(separator: ".")
        return path.isEmpty ? error.reason : "\(path): \(error.reason)"
    }

    /// The JSON of CaseCore's `PolicyDocument`, member for member; unknown members are errors.
    static func policyDocument(_ json: JSONValue) throws(AgencyDirectory.ConfigurationError) -> PolicyDocument {
        var root = try JSONObjectReader(json, file: nil, entry: nil)
        try root.version(1)
        var document = PolicyDocument(version: 1)
        for (name, value) in try root.optionalObject("levels") ?? [] {
            document.levels[name] = try entry(value, at: "levels.\(name)")
        }
        for (kind, value) in try root.optionalObject("kinds") ?? [] {
            // A tuning that could never apply is a mistake to report, not to ignore.
            guard Escalation.kindsWithDeadlines.contains(kind) else {
                throw AgencyDirectory.ConfigurationError(
                    entry: "kinds.\(kind)",
                    reason: "sets no deadlines; only \(Escalation.kindsWithDeadlines.joined(separator: ", ")) do")
            }
            let perLevel = try JSONObjectReader(value, file: nil, entry: "kinds.\(kind)")
            var entries: [String: PolicyEntry] = [:]
            for (level, member) in perLevel.members { entries[level] = try entry(member, at: "kinds.\(kind).\(level)") }
            document.kinds[kind] = entries
        }
        try root.refuseUnknownKeys()
        return document
    }

    private static func entry(_ value: JSONValue, at path: String) throws(AgencyDirectory.ConfigurationError)
        -> PolicyEntry
    {
        var object = try JSONObjectReader(value, file: nil, entry: path)
        var entry = PolicyEntry()
        entry.delivery = try object.optionalString("delivery")
        entry.answer = try object.optionalString("answer")
        entry.repeatEvery = try object.optionalString("repeat")
        entry.clock = try object.optionalString("clock")
        entry.maxSteps = try object.optionalInteger("max_steps")
        entry.fanOut = try object.optionalBool("fan_out")
        try object.refuseUnknownKeys()
        return entry
    }
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
