import ReferralProtocol

/// What the broker has done since it started, counted where the machine decides it (the metrics contract's
/// counters, `referral_*_total`): pure counts with fixed labels (kind, agency, code, risk, reason; never a case or
/// message id), read by STATS and so by the HTTP listener's /metrics. Counting costs a dictionary update per
/// message; nothing here is kept per message.
public struct MachineTallies: Sendable, Hashable {
    /// A message kind and an agency (the sender's for accepted, the recipient's for the rest).
    public struct KindAgency: Sendable, Hashable {
        public var kind: String
        public var agency: String

        public init(kind: String, agency: String) { (self.kind, self.agency) = (kind, agency) }
    }

    /// SENDs committed and ACCEPTED (duplicates not counted), by the sender's agency.
    public internal(set) var accepted: [KindAgency: Int64] = [:]
    /// DELIVERs sent, by the recipient's agency.
    public internal(set) var delivered: [KindAgency: Int64] = [:]
    /// Deliveries the recipient ACKed.
    public internal(set) var acknowledged: [KindAgency: Int64] = [:]
    /// Deliveries that became dead letters.
    public internal(set) var deadLettered: [KindAgency: Int64] = [:]
    /// SENDs refused (REJECTED, or ERROR to a SEND), by code.
    public internal(set) var rejected: [String: Int64] = [:]
    /// Escalation notices committed for sending, by the risk of the late item.
    public internal(set) var escalationsSent: [String: Int64] = [:]
    /// Handshakes and identities refused, by reason (`unknown-key`, `node-suspended`, `not-curve`,
    /// `identity-mismatch`).
    public internal(set) var authFailures: [String: Int64] = [:]
    /// Each node's last traffic (ms), since the broker started.
    public internal(set) var lastSeen: [String: Int64] = [:]

    public init() {}

    /// The label the metrics give a node that is not in the directory (removed since), or an unknown kind.
    public static let unknown = "unknown"
}

/// The kind of each DELIVER sent and not yet settled, so that an ACK or a dead letter (which the scheduler knows
/// by seq) is counted by kind: bounded by what is in flight.
struct DeliveredKinds: Sendable, Hashable {
    struct Key: Sendable, Hashable {
        var node: String
        var seq: Int64
    }

    private var kinds: [Key: String] = [:]

    mutating func sent(node: String, seq: Int64, kind: String) { kinds[Key(node: node, seq: seq)] = kind }

    mutating func settled(node: String, seq: Int64) -> String {
        kinds.removeValue(forKey: Key(node: node, seq: seq)) ?? MachineTallies.unknown
    }
}

extension BrokerMachine {
    /// The agency of `node` in the directory in force (`unknown` once removed).
    func agency(of node: String) -> String { jurisdiction.entry(node)?.agency.rawValue ?? MachineTallies.unknown }

    mutating func countAccepted(kind: String, sender: String) {
        tallies.accepted[.init(kind: kind, agency: agency(of: sender)), default: 0] += 1
    }

    mutating func countDelivered(_ deliver: Deliver, node: String) {
        deliveredKinds.sent(node: node, seq: deliver.seq, kind: deliver.kind)
        tallies.delivered[.init(kind: deliver.kind, agency: agency(of: node)), default: 0] += 1
    }

    mutating func countSettled(node: String, seq: Int64, dead: Bool) {
        let key = MachineTallies.KindAgency(kind: deliveredKinds.settled(node: node, seq: seq), agency: agency(of: node))
        if dead {
            tallies.deadLettered[key, default: 0] += 1
        } else {
            tallies.acknowledged[key, default: 0] += 1
        }
    }

    mutating func countRejected(_ code: ErrorCode) { tallies.rejected[code.rawValue, default: 0] += 1 }

    mutating func countEscalation(risk: String?) {
        tallies.escalationsSent[risk ?? MachineTallies.unknown, default: 0] += 1
    }

    mutating func countAuthFailure(_ reason: String) { tallies.authFailures[reason, default: 0] += 1 }

    mutating func noteSeen(_ node: String, now: Int64) { tallies.lastSeen[node] = now }
}
