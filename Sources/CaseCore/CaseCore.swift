/// CaseCore: where every referral stands, what the broker is waiting for, and whom it tells
/// when the wait is too long (issue 4). Pure logic, like `BrokerCore`: no I/O, no Foundation,
/// no clock. The daemon feeds it events and the current time and stores what it returns.
///
/// - `CaseMachine`: the referral's FHIR Task status and who may move it (`Case/`).
/// - `EscalationPolicies`, `WorkingCalendar`: deadlines per message kind and risk level, and
///   how non-crisis clocks skip weekends and holidays (`Policy/`, `Time/`).
/// - `FollowUpPlan.visitDeadlines` (the plan is ReferralProtocol's), `FollowUpProgress`: the visits a discharge
///   notice promises (`FollowUp/`).
/// - `Deadline`, `EscalationPlanner`: timers as data rows and what to send when one falls due
///   (`Timers/`).
///
/// Every time is an `Int64` count of milliseconds since the Unix epoch (the same values as
/// `BrokerCore.Millis`; this module has no dependency, so it spells the type out). Calendar
/// days are days of China Standard Time (UTC+8), the only time zone the broker serves.
///
/// Nothing here ever holds a child's details: cases are ids, parties are node ids, and an
/// escalation notice names only the case, the overdue item, the level and the deadline.
enum CaseCore {}
