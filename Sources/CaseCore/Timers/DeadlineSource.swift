import ReferralProtocol

/// The message whose acceptance sets deadlines: what the arming functions need to know of it.
public struct DeadlineSource: Sendable, Hashable {
    /// Nil only for a crisis alert without a case.
    public var caseId: String?
    /// Its broker seq (deadline ids are built from it).
    public var seq: Int64
    public var kind: String
    public var level: RiskLevel
    /// When the broker accepted it: every deadline it sets counts from here.
    public var acceptedAt: Int64

    public init(caseId: String?, seq: Int64, kind: String, level: RiskLevel, acceptedAt: Int64) {
        self.caseId = caseId
        self.seq = seq
        self.kind = kind
        self.level = level
        self.acceptedAt = acceptedAt
    }
}

/// Setting deadlines: the policy in force now decides the due times and is snapshotted into
/// each deadline.
extension EscalationPolicies {
    /// Per recipient (one deadline per party, so each party's lateness escalates on its own):
    /// the delivery deadline, and the answer deadline when the kind awaits an answer (`Answers`).
    /// Either is left out when the policy turns it off.
    public func deadlines(for source: DeadlineSource, recipients: [String], calendar: WorkingCalendar) -> [Deadline] {
        let policy = policy(for: source.kind, level: source.level)
        let snapshot = snapshot(of: policy, kind: source.kind, level: source.level)
        let answerKinds = Answers.awaited(by: source.kind)
        var result: [Deadline] = []
        for recipient in recipients {
            if let ms = policy.deliveryMs {
                result.append(
                    Deadline(
                        caseId: source.caseId, armedBy: source.seq, kind: source.kind,
                        awaited: .delivery(seq: source.seq, recipient: recipient),
                        due: policy.clock.add(ms, to: source.acceptedAt, calendar: calendar), policy: snapshot))
            }
            if let ms = policy.answerMs, let kinds = answerKinds {
                result.append(
                    Deadline(
                        caseId: source.caseId, armedBy: source.seq, kind: source.kind,
                        awaited: .answer(kinds: kinds, from: recipient),
                        due: policy.clock.add(ms, to: source.acceptedAt, calendar: calendar), policy: snapshot))
            }
        }
        return result
    }

    /// One deadline per visit of `plan`, owed by `responsible`, counted from `dischargedAt` (when
    /// the notice gives the discharge time; by default when the notice was accepted) on the clock
    /// of the notice's policy (its kind at its level, normally `discharge.notice` at
    /// `follow-up`). Call it once per party whose duties include follow-up
    /// visits: each party owes its own visits, escalates up its own chain and keeps its own
    /// `FollowUpProgress`.
    public func followUpDeadlines(
        for source: DeadlineSource, plan: FollowUpPlan, responsible: String, dischargedAt: Int64? = nil,
        calendar: WorkingCalendar, dayMs: Int64 = ChinaTime.dayMs
    ) -> [Deadline] {
        let snapshot = snapshot(for: source.kind, level: source.level)
        let dues = plan.visitDeadlines(
            dischargedAt: dischargedAt ?? source.acceptedAt, clock: snapshot.clock, calendar: calendar, dayMs: dayMs)
        return dues.enumerated().map { index, due in
            Deadline(
                caseId: source.caseId, armedBy: source.seq, kind: source.kind,
                awaited: .followUpVisit(number: index + 1, by: responsible), due: due, policy: snapshot)
        }
    }
}
