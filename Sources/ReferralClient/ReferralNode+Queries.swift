import ReferralProtocol

/// Read-only questions to the broker over the node's own session (1/RBP §7.14, 1.6): a case and the node's
/// overdue items, as far as the broker lets this node see them. Nothing is stored locally.
extension ReferralNode {
    /// The case as the broker lets this node see it: status members, its deadlines that concern this node, the
    /// events of the messages it sent or received. Throws `ReferralQueryError.notFound` when the broker has no
    /// such case this node may see, `.notConnected` without a session, `ReferralClientError.timedOut`.
    public func caseView(_ id: String, timeout: Duration = .seconds(10)) async throws -> CaseView {
        guard let caseId = Identifiers.normalizedCaseId(id) else {
            throw ReferralClientError.invalidMessage(field: "case", problem: "must be a UUID")
        }
        let answer = try await ask(.caseView(caseId: caseId), timeout: timeout)
        guard case .caseView(let view) = answer.result else {
            throw ReferralQueryError.refused(code: "ANSWER", reason: "not a case")
        }
        return view
    }

    /// This node's overdue items, oldest due first, at most `limit` (1 to `Query.maxLimit`).
    public func overdue(limit: Int = Query.defaultLimit, timeout: Duration = .seconds(10)) async throws -> OverdueView {
        guard (1...Query.maxLimit).contains(limit) else {
            throw ReferralClientError.invalidMessage(field: "limit", problem: "must be from 1 to \(Query.maxLimit)")
        }
        let answer = try await ask(.overdue(limit: limit), timeout: timeout)
        guard case .overdue(let view) = answer.result else {
            throw ReferralQueryError.refused(code: "ANSWER", reason: "not overdue")
        }
        return view
    }

    private func ask(_ subject: Query.Subject, timeout: Duration) async throws -> Answer {
        try checkOpen()
        guard isConnected else { throw ReferralQueryError.notConnected }
        let queries = shared.queries
        let ref = queries.nextRef()
        let query = Query(ref: ref, subject: subject)
        let shared = shared
        // The timer ends the wait; the connection thread's answer, if it comes later, finds no one waiting.
        let timer = Task {
            try await Task.sleep(for: timeout)
            queries.complete(ref, with: .failure(ReferralClientError.timedOut))
        }
        defer { timer.cancel() }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Answer, any Error>) in
                queries.register(ref, continuation)
                shared.post(.query(query))
            }
        } onCancel: {
            queries.complete(ref, with: .failure(CancellationError()))
        }
    }
}
