import ReferralProtocol

/// Local checks of the 1/RBP grammars (§6), so that a bad message fails at `send(_:)` instead of sitting in
/// the outbox until the broker rejects it.
enum Validation {
    static func isNodeId(_ text: String) -> Bool { Identifiers.isValidNodeId(text) }
}

extension Validation {
    /// The message checked against the 1/RBP grammars, with its case id lowercased.
    /// Throws `invalidMessage` naming the header member (`id`, `to`, `kind`, `case`), or `body` for a business
    /// body that does not fit its kind (`OutgoingMessage.validatesBody`); never quotes the body.
    static func prepared(_ message: OutgoingMessage) throws -> OutgoingMessage {
        var message = message
        guard Identifiers.isValidMessageId(message.id) else {
            throw ReferralClientError.invalidMessage(
                field: "id", problem: "must be 1-128 characters of A-Z a-z 0-9 . _ : @ -")
        }
        guard !message.to.isEmpty else {
            throw ReferralClientError.invalidMessage(field: "to", problem: "must name at least one recipient")
        }
        for address in message.to {
            if let problem = Identifiers.addressProblem(address) {
                throw ReferralClientError.invalidMessage(field: "to", problem: "\(address) \(problem)")
            }
        }
        guard Set(message.to).count == message.to.count else {
            throw ReferralClientError.invalidMessage(field: "to", problem: "must not repeat a recipient")
        }
        guard Identifiers.isValidKind(message.kind) else {
            throw ReferralClientError.invalidMessage(
                field: "kind", problem: "must be dot-separated segments of a-z 0-9 -, e.g. referral.request")
        }
        if let caseId = message.caseId {
            guard let normalized = Identifiers.normalizedCaseId(caseId) else {
                throw ReferralClientError.invalidMessage(field: "case", problem: "must be a UUID")
            }
            message.caseId = normalized
        }
        if let plan = message.followUp {
            // The broker's own checks (1/RBP §7.3.2), so that a bad plan fails here, before the outbox.
            guard message.kind == FollowUpHeader.kind, message.caseId != nil else {
                throw ReferralClientError.invalidMessage(
                    field: "followup", problem: "only a discharge.notice with a case carries a follow-up plan")
            }
            do {
                _ = try FollowUpHeader(JSONReader.parse(plan.canonicalJSON, maxDepth: 3))
            } catch let error as FollowUpHeaderError {
                throw ReferralClientError.invalidMessage(field: "followup", problem: error.reason)
            }
        }
        try message.checkBusinessBody()
        return message
    }
}
