/// Why a message may not move a case. The broker answers the sender with REJECTED and this
/// code; `description` is the reason text, which always states the case's current status so
/// that the sender can tell a stale view from a wrong move.
///
/// Safe to log and to send back: it names only message kinds, roles and statuses.
public struct CaseRejection: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Code: String, Sendable, Hashable, CaseIterable {
        /// The move is not allowed in the case's current status.
        case illegalTransition = "ILLEGAL_TRANSITION"
        /// The sender plays the wrong part for this move (a referrer accepting, a service
        /// cancelling).
        case forbiddenMove = "FORBIDDEN_MOVE"
    }

    public var code: Code
    public var move: CaseMove
    /// The case's status when the move was refused (unchanged by the refusal).
    public var status: CaseStatus
    /// The role the sender played.
    public var role: CaseRole

    public init(code: Code, move: CaseMove, status: CaseStatus, role: CaseRole) {
        self.code = code
        self.move = move
        self.status = status
        self.role = role
    }

    /// The reason without the code, as a REJECTED's `reason` (whose `code` is a member of its own):
    /// `referral.accepted not allowed in status completed`, or
    /// `referral.accepted may be sent only by the service, not the referrer; status requested`.
    public var reason: String {
        switch code {
        case .illegalTransition:
            "\(move) not allowed in status \(status)"
        case .forbiddenMove:
            "\(move) may be sent only by the \(move.role), not the \(role); status \(status)"
        }
    }

    /// `ILLEGAL_TRANSITION: referral.accepted not allowed in status completed`.
    public var description: String { "\(code.rawValue): \(reason)" }
}
