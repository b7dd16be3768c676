/// The brief's risk levels, which set every deadline of a message. The raw values are the
/// configuration keys.
///
/// | level | meaning |
/// | --- | --- |
/// | crisis (red) | immediate danger, abuse, self-harm |
/// | urgent (orange) | serious, needs prompt care |
/// | routine (yellow/green) | needs assessment |
/// | follow-up | after discharge |
///
/// Not the wire's `priority` (routine/urgent/crisis, which orders deliveries): follow-up
/// messages travel at routine priority but keep their own deadlines.
public enum RiskLevel: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case crisis
    case urgent
    case routine
    case followUp = "follow-up"

    public var description: String { rawValue }
}
