import ReferralProtocol
import StoreModel

/// A node's QUERY (1/RBP §7.14): rate-limited like a SEND, read on the store thread as ADMIN CASE and OVERDUE are
/// (never on the poll loop), filtered by `NodeView`, answered ANSWER or ERROR with the query's `ref`.
extension BrokerMachine {
    mutating func query(_ query: Query, node: String, routingId: [UInt8], now: Int64) {
        if stopping {
            return refuseQuery(
                query, .shuttingDown, "the broker is stopping; ask again after it is back", node, routingId, now)
        }
        guard rateLimiter.allow(node, now: now) else {
            return refuseQuery(
                query, .rateLimited, "this node is sending faster than its rate limit; retry after a backoff", node,
                routingId, now)
        }
        switch query.subject {
        case .caseView(let caseId):
            let ticket = NodeQueryTicket(node: node, routingId: routingId, ref: query.ref)
            actions.append(.store(.nodeQuery(.caseInfo(caseId: caseId.lowercased()), ticket)))
        case .overdue(let limit):
            let ticket = NodeQueryTicket(node: node, routingId: routingId, ref: query.ref, limit: limit)
            actions.append(.store(.nodeQuery(.overdue(now: now), ticket)))
        }
    }

    /// The answer to a node's query the store has read. A connection that lost its session meanwhile gets nothing.
    mutating func answerQuery(_ result: NodeQueryReadResult, _ ticket: NodeQueryTicket, now: Int64) {
        guard sessions.node(ticket.routingId) == ticket.node else { return }
        let answer: Answer
        switch result {
        case .caseInfo(let info):
            guard let view = NodeView.caseView(info, for: ticket.node) else {
                // The same answer for a case that does not exist and for one the node may not see.
                let reason = "no case with this id that this node may see"
                return answerError(
                    .notFound, reason, ref: ticket.ref, node: ticket.node, routingId: ticket.routingId, now: now)
            }
            answer = Answer(ref: ticket.ref, result: .caseView(view))
        case .overdue(let records, let referrers):
            let view = NodeView.overdueView(records, referrers: referrers, for: ticket.node, limit: ticket.limit)
            answer = Answer(ref: ticket.ref, result: .overdue(view))
        case .failed:
            return answerError(
                .storeFailed, "the store could not be read", ref: ticket.ref, node: ticket.node,
                routingId: ticket.routingId, now: now)
        }
        actions.append(
            .send(.answer(NodeView.fitted(answer, maxHeader: settings.limits.maxHeaderBytes)), to: ticket.routingId))
    }

    private mutating func refuseQuery(
        _ query: Query, _ code: ErrorCode, _ reason: String, _ node: String, _ routingId: [UInt8], _ now: Int64
    ) {
        answerError(code, reason, ref: query.ref, node: node, routingId: routingId, now: now)
    }

    private mutating func answerError(
        _ code: ErrorCode, _ reason: String, ref: String, node: String, routingId: [UInt8], now: Int64
    ) {
        answer(
            .error(ErrorReply(code: code, reason: reason, fatal: false, command: "QUERY", field: nil, ref: ref)),
            node: node, to: routingId, now: now)
    }
}
