/// The escalation policies as the operator writes them: Swift types that mirror the JSON
/// member for member, so the reader (`init(json:file:)`) only copies values across and
/// `EscalationPolicies(document:revision:)` does every check.
///
/// ```json
/// {
///   "version": 1,
///   "levels": {
///     "crisis":    { "delivery": "1m", "answer": "15m", "repeat": "15m", "clock": "continuous", "fan_out": true },
///     "urgent":    { "answer": "24h", "repeat": "24h" },
///     "routine":   { "answer": "3d", "repeat": "2d", "max_steps": 4 },
///     "follow-up": { "repeat": "3d", "clock": "working-days" }
///   },
///   "kinds": {
///     "escalation.notice": { "*": { "delivery": "off" } },
///     "referral.request":  { "urgent": { "answer": "8h" } }
///   }
/// }
/// ```
///
/// - `version` (required): 1.
/// - `levels` (optional): per risk level (`crisis`, `urgent`, `routine`, `follow-up`), members
///   that replace the brief's defaults (`EscalationPolicy.builtIn`). A level or member left out
///   keeps its default, so `{"version": 1}` is the brief's table.
/// - `kinds` (optional): per message kind, members that replace the level's values for that
///   kind only; under `"*"` for every level, then under a level name for that level.
/// - The members, all optional:
///   - `delivery`, `answer`: a duration, or `"off"` for no deadline;
///   - `repeat`: a duration, the time between escalation steps (not `"off"`);
///   - `max_steps`: 1-10, how many levels of the chain the escalation climbs at most, or 0 to
///     climb to the top; once there it reminds that level every `repeat` until the item is met;
///   - `clock`: `"continuous"` or `"working-days"`;
///   - `fan_out`: true to notify every agency's chain at once.
/// - A duration is a whole number and a unit: `30s`, `15m`, `24h`, `3d` (at most 3650 days).
///   On a `working-days` clock only working time counts: `3d` is three working days.
public struct PolicyDocument: Sendable, Hashable {
    public var version: Int
    /// Keyed by risk level name.
    public var levels: [String: PolicyEntry]
    /// Keyed by message kind, then by risk level name or `"*"`.
    public var kinds: [String: [String: PolicyEntry]]

    public init(version: Int = 1, levels: [String: PolicyEntry] = [:], kinds: [String: [String: PolicyEntry]] = [:]) {
        self.version = version
        self.levels = levels
        self.kinds = kinds
    }
}

/// One entry of `PolicyDocument`; nil members keep the value they would otherwise have.
public struct PolicyEntry: Sendable, Hashable {
    /// JSON `delivery`.
    public var delivery: String?
    /// JSON `answer`.
    public var answer: String?
    /// JSON `repeat`.
    public var repeatEvery: String?
    /// JSON `max_steps`.
    public var maxSteps: Int?
    /// JSON `clock`.
    public var clock: String?
    /// JSON `fan_out`.
    public var fanOut: Bool?

    public init(
        delivery: String? = nil, answer: String? = nil, repeatEvery: String? = nil, maxSteps: Int? = nil,
        clock: String? = nil, fanOut: Bool? = nil
    ) {
        self.delivery = delivery
        self.answer = answer
        self.repeatEvery = repeatEvery
        self.maxSteps = maxSteps
        self.clock = clock
        self.fanOut = fanOut
    }
}
