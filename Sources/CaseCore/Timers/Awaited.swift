/// What a deadline waits for, and from whom. The party is the node whose action is late when
/// the deadline passes; its escalation chain is the one climbed.
public enum Awaited: Sendable, Hashable, CustomStringConvertible {
    /// Message `seq` committed by `recipient`'s system (the level-2 acknowledgment, ACK).
    case delivery(seq: Int64, recipient: String)
    /// A business message of one of `kinds` from `from` (see `Answers`).
    case answer(kinds: Set<String>, from: String)
    /// Follow-up visit `number` (1-based) of a discharge's plan, owed by `by`.
    case followUpVisit(number: Int, by: String)

    /// The node whose action is awaited.
    public var party: String {
        switch self {
        case .delivery(_, let recipient): recipient
        case .answer(_, let from): from
        case .followUpVisit(_, let by): by
        }
    }

    /// Whether a business message of `kind` from `sender` is the awaited answer. Deliveries are
    /// met by ACKs and visits by `FollowUpProgress`, never by this.
    public func isAnswered(byKind kind: String, from sender: String) -> Bool {
        if case .answer(let kinds, let from) = self { return from == sender && kinds.contains(kind) }
        return false
    }

    /// A short key, unique among the deadlines one message sets, used in deadline ids (each
    /// party of a discharge owes its own visits, so a visit's key names the party).
    var key: String {
        switch self {
        case .delivery(_, let recipient): "d:\(recipient)"
        case .answer(_, let from): "a:\(from)"
        case .followUpVisit(let number, let by): "v\(number):\(by)"
        }
    }

    /// A text form for a store column, read back by `init?(encoded:)`: `delivery:12:node-a`,
    /// `answer:node-b:referral.accepted,referral.declined`, `visit:2:node-c`. Node ids and kinds
    /// contain neither `:` nor `,`, so the form is unambiguous.
    public var encoded: String {
        switch self {
        case .delivery(let seq, let recipient): "delivery:\(seq):\(recipient)"
        case .answer(let kinds, let from): "answer:\(from):\(kinds.sorted().joined(separator: ","))"
        case .followUpVisit(let number, let by): "visit:\(number):\(by)"
        }
    }

    /// Reads `encoded`; nil for any other text.
    public init?(encoded: String) {
        let parts = encoded.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 3, !parts[1].isEmpty, !parts[2].isEmpty else { return nil }
        switch parts[0] {
        case "delivery":
            guard let seq = Int64(parts[1]) else { return nil }
            self = .delivery(seq: seq, recipient: parts[2])
        case "answer":
            let kinds = parts[2].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            guard !kinds.contains(where: \.isEmpty) else { return nil }
            self = .answer(kinds: Set(kinds), from: parts[1])
        case "visit":
            guard let number = Int(parts[1]), number >= 1 else { return nil }
            self = .followUpVisit(number: number, by: parts[2])
        default:
            return nil
        }
    }

    /// `delivery of message 12 to node-a`, `answer (referral.accepted|referral.declined) from
    /// node-b`, `follow-up visit 2 by node-c`: how notices and listings name the item.
    public var description: String {
        switch self {
        case .delivery(let seq, let recipient): "delivery of message \(seq) to \(recipient)"
        case .answer(let kinds, let from): "answer (\(kinds.sorted().joined(separator: "|"))) from \(from)"
        case .followUpVisit(let number, let by): "follow-up visit \(number) by \(by)"
        }
    }
}

/// Which business messages answer which: the answer deadline of a message waits for one of
/// these from each party it went to.
public enum Answers {
    /// | message | answered by |
    /// | --- | --- |
    /// | `referral.request` | `referral.received`, `referral.accepted`, `referral.declined` |
    /// | `crisis.alert` | `crisis.acknowledged` |
    ///
    /// `crisis.acknowledged` is not among the brief's kinds: the brief asks for each party's
    /// acknowledgment of a crisis alert within 15 minutes but names no message for it, so the
    /// protocol adds one (protocols/business §7.3). Every other kind awaits no business answer.
    public static let table: [String: Set<String>] = [
        "referral.request": ["referral.received", "referral.accepted", "referral.declined"],
        "crisis.alert": ["crisis.acknowledged"],
    ]

    /// The kinds that answer a message of `kind`, or nil when none is awaited.
    public static func awaited(by kind: String) -> Set<String>? { table[kind] }
}
