import ReferralProtocol

/// What a standby instance of the broker answers (1/RBP 1.7 §7.1): several referrald instances share one
/// PostgreSQL store, one is active, the others wait for its lease (docs/FAILOVER.md). A standby opens no
/// session and stores nothing; it answers every command but PONG and BYE with ERROR NOT_ACTIVE (fatal), so that a
/// node moves to its next endpoint at once instead of waiting out a silence.
///
/// Pure: the shell (`StandbyLoop`) decodes what arrived and sends what this returns. Admission is the active's
/// (a registered, active key), so that only known nodes learn that this instance is a standby.
public struct StandbyResponder: Sendable {
    public var jurisdiction: Jurisdiction
    /// Where the active instance is, when known (the lease row's endpoint): named in the reason, for operators.
    public var activeEndpoint: String?

    public init(jurisdiction: Jurisdiction, activeEndpoint: String? = nil) {
        self.jurisdiction = jurisdiction
        self.activeEndpoint = activeEndpoint
    }

    /// The ZAP answer for a CURVE handshake: admitted only with the key of an active registered node.
    public func admits(key: String?) -> Bool {
        guard let key else { return false }
        return jurisdiction.keyOwner(key)?.isActive ?? false
    }

    /// The reply to one arrival, nil when nothing is answered (PONG, BYE, a key that is not an active node's).
    public func reply(to arrival: Arrival) -> Command? {
        if !jurisdiction.plaintext && jurisdiction.activeNode(key: arrival.userId) == nil { return nil }
        var refused = ErrorReply(code: .notActive, reason: reason, fatal: true)
        switch arrival.command {
        case .success(.pong), .success(.bye):
            return nil
        case .success(let command):
            refused.command = command.name
            if case .query(let query) = command { refused.ref = query.ref }
        case .failure:
            // Undecodable: still a standby's answer, so the node does not wait for an answer that never comes.
            break
        }
        return .error(refused)
    }

    /// At most 200 characters (1/RBP §9); never anything the node sent.
    var reason: String {
        let base = "this broker is a standby: try the next endpoint"
        guard let activeEndpoint, base.utf8.count + activeEndpoint.utf8.count + 20 <= 200 else { return base }
        return base + " (active: \(activeEndpoint))"
    }
}
