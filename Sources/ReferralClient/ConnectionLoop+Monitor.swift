import ZeroMQ

extension ConnectionLoop {
    /// Acts on what the socket monitor reported (1/RBP §11.4): every new connection gets HELLO as soon as its
    /// handshake succeeded, a dropped connection ends the session at once, a refused handshake (or, with several
    /// endpoints, a refused connection) gives the endpoint up.
    func handleMonitorEvents() throws {
        while let monitor, let event = try monitor.receiveEvent() {
            let now = monotonicMillis()
            switch event.event {
            case .handshakeSucceeded:
                droppedHandshakes = 0
                if case .session = phase { logger.info("connected again; the broker needs a new HELLO") }
                endSessionIfOpen()
                lastReceived = now
                sendHello(now: now)
            case .disconnected:
                if case .session = phase {
                    logger.warning("the connection to the broker dropped; waiting for it to come back")
                }
                endSessionIfOpen()
                switch phase {
                case .connecting(let since, _): phase = .connecting(since: since, helloDue: false)
                case .idle: break
                default: phase = .connecting(since: now, helloDue: false)
                }
            case .handshakeFailedNoDetail:
                droppedHandshakes += 1
                if droppedHandshakes >= Self.maxDroppedHandshakes {
                    shared.problem.withLock { $0 = noConnectionProblem }
                    loseSession("the broker dropped \(droppedHandshakes) handshakes in a row", .tryAnother)
                }
            case .handshakeFailedAuth:
                // libzmq does not reconnect after this: only a new socket tries again.
                shared.problem.withLock {
                    $0 = "the broker refused this node's key (ZAP status \(event.value)): check that the broker's "
                        + "directory has this node's public_key and that the node is active (not suspended)"
                }
                loseSession("the broker refused the handshake (ZAP status \(event.value))", .tryAnother)
            case .handshakeFailedProtocol:
                shared.problem.withLock { $0 = noConnectionProblem }
                loseSession("the handshake with the broker failed (protocol error)", .tryAnother)
            case .closed:
                // Monitored with several endpoints only: this one refused the connection (or cannot be reached);
                // move on rather than let libzmq try it again (1/RBP §11.4).
                guard rotation.hasSeveral, case .connecting(_, false) = phase else { break }
                loseSession("the connection to \(rotation.current) was refused", .tryAnother)
            default:
                break
            }
        }
    }

    /// A session on a connection that is gone is gone with it: everything unanswered is resent after the next
    /// WELCOME.
    private func endSessionIfOpen() {
        guard case .session = phase else { return }
        shared.connected.store(false, ordering: .releasing)
    }

    /// Closes the socket and opens a new one at once (after BYE: the broker is stopping; the new socket's own
    /// reconnects find it when it is back).
    func reconnectNow(_ reason: String) {
        closeSocket()
        logger.warning("session lost; reconnecting", metadata: ["reason": "\(reason)"])
        openSocket(now: monotonicMillis())
    }
}
