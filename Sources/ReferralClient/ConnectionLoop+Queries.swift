import ReferralProtocol

// QUERY on the connection thread, which alone owns the socket (1/RBP §7.14).
extension ConnectionLoop {
    /// Sends the query on the session, or fails it at once when there is none (or ZeroMQ cannot take it).
    func sendQuery(_ query: Query) {
        guard case .session = phase, send(.query(query)) else {
            shared.queries.complete(query.ref, with: .failure(ReferralQueryError.notConnected))
            return
        }
    }

    /// A broker before 1/RBP 1.6 answers QUERY with UNKNOWN_COMMAND, without `command` nor `ref`.
    func isOldBrokerRefusingQuery(_ error: ErrorReply) -> Bool {
        error.code == .unknownCommand && error.command == nil && !shared.queries.isEmpty
    }

    /// The ERROR answering a query: its `ref` names it; without one (an old broker) every pending query fails.
    func answered(_ error: ErrorReply) {
        let failure: ReferralQueryError =
            switch error.code {
            case .notFound: .notFound
            case .unknownCommand: .unsupported
            case .notConnected, .notActive: .notConnected
            default: .refused(code: error.code.rawValue, reason: error.reason)
            }
        if let ref = error.ref {
            shared.queries.complete(ref, with: .failure(failure))
        } else {
            shared.queries.failAll(failure)
        }
        // A query outside a session: say HELLO again, as for any NOT_CONNECTED. A fatal one (NOT_ACTIVE from an
        // instance that is no longer the active one) ended the session, as any fatal ERROR does.
        if error.code == .notConnected || error.fatal { handle(error) }
    }
}
