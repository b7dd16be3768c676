/// The part of a policy a running escalation needs, copied into every deadline it sets.
///
/// Why a copy: "the policy in force when the deadline was set is the one that applies" (the
/// issue, after PagerDuty's rule that an incident follows the escalation policy as it was when
/// the incident was triggered). An operator's edit changes deadlines set after it, never a
/// running escalation.
public struct PolicySnapshot: Sendable, Hashable {
    /// `revision/kind/level`: which loaded configuration and entry the values came from, for
    /// the trail and for a store that keeps snapshots in a table of their own.
    public var id: String
    public var repeatMs: Int64
    public var maxSteps: Int?
    public var clock: ClockKind
    public var fanOut: Bool

    public init(id: String, repeatMs: Int64, maxSteps: Int?, clock: ClockKind, fanOut: Bool) {
        self.id = id
        self.repeatMs = repeatMs
        self.maxSteps = maxSteps
        self.clock = clock
        self.fanOut = fanOut
    }

    /// A text form for a store column (the store keeps the snapshot opaque), read back by
    /// `init?(encoded:)`: `repeatMs|maxSteps or -|clock|fanOut 0 or 1|id`, the id last because
    /// its revision is whatever the loader chose.
    public var encoded: String {
        "\(repeatMs)|\(maxSteps.map(String.init) ?? "-")|\(clock)|\(fanOut ? 1 : 0)|\(id)"
    }

    /// Reads `encoded`; nil for any other text.
    public init?(encoded: String) {
        let parts = encoded.split(separator: "|", maxSplits: 4, omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 5, let repeatMs = Int64(parts[0]), repeatMs > 0,
            let clock = ClockKind(rawValue: parts[2]), parts[3] == "0" || parts[3] == "1"
        else { return nil }
        let maxSteps: Int?
        if parts[1] == "-" {
            maxSteps = nil
        } else if let steps = Int(parts[1]), steps >= 1 {
            maxSteps = steps
        } else {
            return nil
        }
        self.init(id: parts[4], repeatMs: repeatMs, maxSteps: maxSteps, clock: clock, fanOut: parts[3] == "1")
    }
}
