/// One referral case: its status, its parties and its attempt number, and the rules of who may
/// move it where (`CaseMove`). A value type the daemon loads from its store, applies one message
/// to, and writes back in the same transaction as the message and the deadlines it sets.
///
/// A case starts with the referrer's first `referral.request`. When the service declines, the
/// referrer may send a new `referral.request` in the same case to another service (a re-route):
/// the case returns to `requested`, `attempt` goes up by one and `service` becomes the new one.
/// The attempt number lets the trail and the deadlines tell the services' answers apart.
public struct CaseMachine: Sendable, Hashable {
    public let caseId: String
    /// The node that referred the child; the only one that may re-route or cancel.
    public let referrer: String
    /// The service of the current attempt; the only one that may move the case forward.
    public private(set) var service: String
    public private(set) var status: CaseStatus
    /// 1 for the first request, one more for each re-route.
    public private(set) var attempt: Int

    /// A new case, from the referrer's first `referral.request` to `service`.
    public init(caseId: String, referrer: String, service: String) {
        self.init(caseId: caseId, referrer: referrer, service: service, status: .requested, attempt: 1)
    }

    /// A case as the store holds it.
    public init(caseId: String, referrer: String, service: String, status: CaseStatus, attempt: Int) {
        self.caseId = caseId
        self.referrer = referrer
        self.service = service
        self.status = status
        self.attempt = attempt
    }

    /// The part `node` plays in the case now, or nil for a node that is not a party (the shell
    /// refuses those before asking the case anything). A node that is both referrer and service
    /// of a case counts as the service: a service referring to itself moves its own referral.
    public func role(of node: String) -> CaseRole? {
        if node == service { return .service }
        if node == referrer { return .referrer }
        return nil
    }

    /// Applies a message sent by the party playing `role`. On success the case has its new
    /// status (returned); on failure it is unchanged and the rejection says why.
    ///
    /// `service` is used only by `referral.request` (a re-route): the service the new attempt
    /// goes to (nil asks the same service again). The first request of a case is
    /// `init(caseId:referrer:service:)`, not this.
    @discardableResult
    public mutating func apply(
        _ move: CaseMove, by role: CaseRole, service newService: String? = nil
    ) -> Result<CaseStatus, CaseRejection> {
        guard role == move.role else {
            return .failure(CaseRejection(code: .forbiddenMove, move: move, status: status, role: role))
        }
        guard let next = move.target(from: status) else {
            return .failure(CaseRejection(code: .illegalTransition, move: move, status: status, role: role))
        }
        if move == .request {
            attempt += 1
            if let newService { service = newService }
        }
        status = next
        return .success(next)
    }
}
