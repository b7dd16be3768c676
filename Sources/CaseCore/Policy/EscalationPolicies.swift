/// The escalation policies in force: one `EscalationPolicy` per message kind and risk level.
///
/// Loaded from a `PolicyDocument` (see there for the JSON) on top of the brief's defaults;
/// replaced as a whole when the operator reloads the configuration. Deadlines already set keep
/// the `PolicySnapshot` they were set with, so a reload never changes a running escalation.
public struct EscalationPolicies: Sendable {
    /// Names the loaded configuration in snapshot ids (the loader passes e.g. the file's digest
    /// or a load counter; the built-in table is `default`).
    public let revision: String
    let levels: [RiskLevel: EscalationPolicy]
    /// Only the kinds the document mentions; every level filled in.
    let kinds: [String: [RiskLevel: EscalationPolicy]]

    /// The brief's table, no per-kind entries.
    public static let `default` = EscalationPolicies(
        revision: "default",
        levels: Dictionary(uniqueKeysWithValues: RiskLevel.allCases.map { ($0, EscalationPolicy.builtIn($0)) }),
        kinds: [:])

    /// The policy for messages of `kind` at `level`.
    public func policy(for kind: String, level: RiskLevel) -> EscalationPolicy {
        kinds[kind]?[level] ?? levels[level] ?? EscalationPolicy.builtIn(level)
    }

    /// What a deadline set now for `kind` at `level` must carry.
    public func snapshot(for kind: String, level: RiskLevel) -> PolicySnapshot {
        snapshot(of: policy(for: kind, level: level), kind: kind, level: level)
    }

    func snapshot(of policy: EscalationPolicy, kind: String, level: RiskLevel) -> PolicySnapshot {
        PolicySnapshot(
            id: "\(revision)/\(kind)/\(level)", repeatMs: policy.repeatMs, maxSteps: policy.maxSteps,
            clock: policy.clock, fanOut: policy.fanOut)
    }
}
