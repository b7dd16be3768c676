/// A message's risk level (1/RBP §7.3). Dispatch order is crisis, then urgent, then routine.
public enum Priority: String, Sendable, Hashable, Comparable, CaseIterable {
    case routine
    case urgent
    case crisis

    /// 0 for routine, 1 for urgent, 2 for crisis.
    public var rank: Int {
        switch self {
        case .routine: 0
        case .urgent: 1
        case .crisis: 2
        }
    }

    /// The priority of `rank` (a store's integer column); nil for a number that is none.
    public init?(rank: Int) {
        switch rank {
        case 0: self = .routine
        case 1: self = .urgent
        case 2: self = .crisis
        default: return nil
        }
    }

    public static func < (lhs: Priority, rhs: Priority) -> Bool { lhs.rank < rhs.rank }
}

/// The final outcome of one delivery, reported to the sender in a RECEIPT (1/RBP §7.9).
public enum ReceiptOutcome: String, Sendable, Hashable, CaseIterable {
    case delivered
    case deadLettered = "dead-lettered"
}
