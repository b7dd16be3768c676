/// The deadlines and escalation rule for messages of one kind at one risk level.
///
/// Durations are milliseconds on the policy's `clock`: with `.workingDays`, 3 × 24 h is three
/// working days. The brief's defaults are `EscalationPolicy.builtIn(_:)`.
public struct EscalationPolicy: Sendable, Hashable {
    /// From acceptance by the broker until the recipient's system has the message (level-2
    /// acknowledgment), or nil for no delivery deadline.
    public var deliveryMs: Int64?
    /// From acceptance until the business answer (a referral request: received, accepted or
    /// declined; a crisis alert: each party's acknowledgment), or nil when none is awaited.
    public var answerMs: Int64?
    /// Between escalation steps, on the same clock.
    public var repeatMs: Int64
    /// How many levels of the escalation chain an overdue item climbs at most (1-`stepLimit`);
    /// nil: to the top of the chain. An item still open at the top of its climb is never
    /// dropped: that level is reminded every `repeatMs` until the item is met or its case ends.
    public var maxSteps: Int?

    /// The highest level a policy may climb to: `escalation.notice`'s `level` goes up to 10 in
    /// the business schema (village → province is four levels).
    public static let stepLimit = 10
    public var clock: ClockKind
    /// Whether escalation notifies every agency's chain at once (crisis) or only the chain of
    /// the party that is late.
    public var fanOut: Bool

    public init(
        deliveryMs: Int64?, answerMs: Int64?, repeatMs: Int64, maxSteps: Int?, clock: ClockKind, fanOut: Bool
    ) {
        self.deliveryMs = deliveryMs
        self.answerMs = answerMs
        self.repeatMs = repeatMs
        self.maxSteps = maxSteps
        self.clock = clock
        self.fanOut = fanOut
    }

    /// The brief's defaults ("Risk levels and default deadlines"):
    ///
    /// | level | delivery | answer | repeat | steps | clock | fan-out |
    /// | --- | --- | --- | --- | --- | --- | --- |
    /// | crisis | 1 min | 15 min | 15 min | every level | continuous | yes |
    /// | urgent | 1 h | 24 h | 24 h | every level | working days | no |
    /// | routine | 1 day | 3 days | 2 days | every level | working days | no |
    /// | follow-up | 1 day | none | 3 days | every level | continuous | no |
    ///
    /// Choices the brief leaves open, made here: delivery deadlines below crisis (1 h urgent,
    /// one working day routine and follow-up); the follow-up repeat (3 days: a missed visit
    /// reaches the county within a week); and the follow-up clock. The brief gives follow-up in
    /// plain days ("first visit 7 days, second 30 days", "monthly for 6 months") where it says
    /// "3 working days" for routine, and a six-month plan counted in working days would run
    /// for eight and a half, so follow-up plans count calendar days; set `clock` to
    /// `working-days` in the configuration to change that. Follow-up awaits no answer to the
    /// discharge notice itself: its deadlines are the plan's visits.
    public static func builtIn(_ level: RiskLevel) -> EscalationPolicy {
        let minute = ChinaTime.minuteMs
        let hour = ChinaTime.hourMs
        let day = ChinaTime.dayMs
        switch level {
        case .crisis:
            return EscalationPolicy(
                deliveryMs: minute, answerMs: 15 * minute, repeatMs: 15 * minute, maxSteps: nil, clock: .continuous,
                fanOut: true)
        case .urgent:
            return EscalationPolicy(
                deliveryMs: hour, answerMs: 24 * hour, repeatMs: 24 * hour, maxSteps: nil, clock: .workingDays,
                fanOut: false)
        case .routine:
            return EscalationPolicy(
                deliveryMs: day, answerMs: 3 * day, repeatMs: 2 * day, maxSteps: nil, clock: .workingDays,
                fanOut: false)
        case .followUp:
            return EscalationPolicy(
                deliveryMs: day, answerMs: nil, repeatMs: 3 * day, maxSteps: nil, clock: .continuous, fanOut: false)
        }
    }
}
