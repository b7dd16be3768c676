/// Where a referral stands: the FHIR `Task.status` codes the brief adopts (R4/R5
/// `task-status` value set, without draft, ready and entered-in-error, which no message of the
/// brief produces). The raw values are the FHIR codes, so they can be shown and stored as is.
public enum CaseStatus: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// The referrer has sent the request; the service has not answered.
    case requested
    /// The service has it and is evaluating.
    case received
    /// The service will take the child.
    case accepted
    /// The service declined. The referrer may re-route the case to another service.
    case rejected
    /// An appointment is booked or care is under way.
    case inProgress = "in-progress"
    /// Care is paused (a missed appointment, a child who moved, a guardian unreachable).
    case onHold = "on-hold"
    /// The service closed the loop with an outcome.
    case completed
    /// The referral could not be carried out. No message of the brief leads here yet; the
    /// status is kept so that stored codes and displays cover the whole FHIR set the case uses.
    case failed
    /// The referrer withdrew the referral.
    case cancelled

    public var description: String { rawValue }

    /// Whether the referral is still under way: the referrer may cancel it and the broker still
    /// waits for something in it. `rejected` is not open: only a re-route starts it again.
    public var isOpen: Bool {
        switch self {
        case .requested, .received, .accepted, .inProgress, .onHold: true
        case .rejected, .completed, .failed, .cancelled: false
        }
    }
}
