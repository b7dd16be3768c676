/// The part a node plays in a case. Only the service moves a referral forward; only the
/// referrer requests and cancels (the brief, after the fulfiller-owns-status rule of Ocean,
/// UMZH Connect and the FHIR COW guide).
public enum CaseRole: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// The school, child director or hotline that referred the child.
    case referrer
    /// The health service the referral is addressed to (for the current attempt).
    case service

    public var description: String { rawValue }
}

/// The business message kinds that move a referral, with the role that may send each and the
/// statuses each is allowed in:
///
/// | kind | sent by | allowed in | new status |
/// | --- | --- | --- | --- |
/// | `referral.request` | referrer | (new case); `rejected` (re-route) | `requested` (next attempt) |
/// | `referral.received` | service | `requested` | `received` |
/// | `referral.accepted` | service | `requested`, `received` | `accepted` |
/// | `referral.declined` | service | `requested`, `received` | `rejected` |
/// | `referral.appointment` | service | `accepted`, `in-progress`, `on-hold` | `in-progress` |
/// | `referral.no-show` | service | `in-progress` | `on-hold` |
/// | `referral.interim` | service | `accepted`, `in-progress`, `on-hold` | unchanged, except `accepted` → `in-progress` |
/// | `referral.completed` | service | `accepted`, `in-progress`, `on-hold` | `completed` |
/// | `referral.cancelled` | referrer | any open status | `cancelled` |
///
/// Why an interim note moves `accepted` to `in-progress`: a note means care has started. Why it
/// leaves `on-hold` alone: a note about a paused case does not resume it; an appointment does.
/// The other kinds of the brief (discharge, follow-up, crisis, escalation) do not move a
/// referral, so `CaseMove(kind:)` is nil for them.
public enum CaseMove: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case request = "referral.request"
    case received = "referral.received"
    case accepted = "referral.accepted"
    case declined = "referral.declined"
    case appointment = "referral.appointment"
    case noShow = "referral.no-show"
    case interim = "referral.interim"
    case completed = "referral.completed"
    case cancelled = "referral.cancelled"

    /// The move a message kind makes, or nil for a kind that does not move a referral.
    public init?(kind: String) { self.init(rawValue: kind) }

    /// The message kind.
    public var kind: String { rawValue }
    public var description: String { rawValue }

    /// The only role that may send this kind in a case.
    public var role: CaseRole {
        switch self {
        case .request, .cancelled: .referrer
        case .received, .accepted, .declined, .appointment, .noShow, .interim, .completed: .service
        }
    }

    /// The status after this move from `status`, or nil when the move is not allowed there.
    /// The table above, as code.
    func target(from status: CaseStatus) -> CaseStatus? {
        switch (self, status) {
        case (.request, .rejected): .requested
        case (.received, .requested): .received
        case (.accepted, .requested), (.accepted, .received): .accepted
        case (.declined, .requested), (.declined, .received): .rejected
        case (.appointment, .accepted), (.appointment, .inProgress), (.appointment, .onHold): .inProgress
        case (.noShow, .inProgress): .onHold
        case (.interim, .accepted): .inProgress
        case (.interim, .inProgress), (.interim, .onHold): status
        case (.completed, .accepted), (.completed, .inProgress), (.completed, .onHold): .completed
        case (.cancelled, _) where status.isOpen: .cancelled
        default: nil
        }
    }
}
