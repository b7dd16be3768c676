import AgencyDirectory
import BrokerCore
import ReferralProtocol
import StoreModel

/// Sessions and the commands of a session (1/RBP §7.1–§7.2, §7.5–§7.10, §13.4).
extension BrokerMachine {
    mutating func receive(_ arrival: Arrival, now: Int64) {
        let routingId = arrival.routingId
        // Identity is the CURVE key (the ZAP User-Id of this very message), never the routing id or a header
        // field, and it is checked against the directory in force now: a key that is unknown, replaced by a
        // re-key, or whose node was suspended or removed is ignored, whatever its handshake found.
        var keyNode: DirectoryEntry?
        if !jurisdiction.plaintext {
            guard let active = jurisdiction.activeNode(key: arrival.userId) else { return }
            if let sessionNode = sessions.node(routingId), sessionNode != active.id {
                refuseSpoof(
                    claimed: sessionNode, keyNode: active.id, routingId: routingId, command: "(session)",
                    peer: arrival.peer, now: now)
                return endSession(onConnection: routingId, now: now)
            }
            keyNode = active
        }
        let node = sessions.node(routingId)
        if let node { scheduler.heard(from: node, now: now) }
        // Last traffic (metrics): the session's node, or the key's; a HELLO counts once it opened the session.
        defer { if let seen = sessions.node(routingId) ?? keyNode?.id { noteSeen(seen, now: now) } }
        let command: Command
        switch arrival.command {
        case .failure(let failure):
            return refuse(failure, routingId: routingId, node: node ?? keyNode?.id, now: now)
        case .success(let decoded):
            command = decoded
        }
        switch command {
        case .hello(let hello):
            handleHello(
                hello, routingId: routingId, keyNode: keyNode, key: arrival.userId, peer: arrival.peer, now: now)
        case .ping where node != nil:
            actions.append(.send(.pong, to: routingId))
        case .pong:
            break
        case .bye:
            if node != nil { endSession(onConnection: routingId, reason: .bye, now: now) }
        default:
            guard let node else {
                let reason = "send HELLO first: this connection has no session"
                // A QUERY's ERROR carries its ref (1/RBP §7.14).
                var refused = ErrorReply(code: .notConnected, reason: reason, fatal: false, command: command.name)
                if case .query(let query) = command { refused.ref = query.ref }
                return answer(.error(refused), node: keyNode?.id, to: routingId, now: now)
            }
            handleSessionCommand(command, node: node, routingId: routingId, now: now)
        }
    }

    /// Ends the session this connection holds at once, so that whatever the node sent behind the message that
    /// ended it, even in the same batch, finds no session (1/RBP §7.1, §7.13).
    mutating func endSession(onConnection routingId: [UInt8], reason: SessionEndReason = .fatalError, now: Int64) {
        guard let node = sessions.close(onConnection: routingId) else { return }
        scheduler.closeSession(node: node, reason: reason, now: now)
    }

    /// Sends an ERROR or REJECTED and audits it: 1/RBP §13.8 promises a record of every rejection, with its
    /// code. `node` is the connection's node (its session's, or its key's); `kind` the refused SEND's kind.
    mutating func answer(_ reply: Command, node: String?, kind: String? = nil, to routingId: [UInt8], now: Int64) {
        switch reply {
        case .rejected(let rejected):
            countRejected(rejected.code)
            audit(
                AuditEvent(
                    at: now, event: AuditEvent.Name.rejected, node: node, messageId: rejected.id,
                    recipient: rejected.recipient, kind: kind, code: rejected.code.rawValue, detail: rejected.reason))
        case .error(let error):
            if error.command == "SEND" { countRejected(error.code) }
            audit(
                AuditEvent(
                    at: now, event: AuditEvent.Name.rejected, node: node, code: error.code.rawValue,
                    detail: "ERROR to \(error.command ?? "(no command)"): \(error.reason)"))
        default:
            break
        }
        actions.append(.send(reply, to: routingId))
    }

    private mutating func handleSessionCommand(_ command: Command, node: String, routingId: [UInt8], now: Int64) {
        let unknown: (ErrorCode, String)?
        switch command {
        case .send(let message):
            return admit(message, node: node, routingId: routingId, now: now)
        case .query(let query):
            return self.query(query, node: node, routingId: routingId, now: now)
        case .ack(let ack):
            let known = scheduler.ack(node: node, seq: ack.seq, now: now) != .unknown
            unknown = known ? nil : (.unknownDelivery, "no delivery \(ack.seq) was made to this node")
        case .nack(let nack):
            let known = scheduler.nack(node: node, seq: nack.seq, retry: nack.retry, reason: nack.reason, now: now)
            unknown = known != .unknown ? nil : (.unknownDelivery, "no delivery \(nack.seq) was made to this node")
        case .receiptAck(let confirmation):
            let known = scheduler.confirmReceipt(node: node, receipt: confirmation.receipt, now: now) != .unknown
            unknown = known ? nil : (.unknownReceipt, "no receipt \(confirmation.receipt) is waiting for this node")
        default:
            // Broker-to-node commands are refused by the codec (UNEXPECTED_COMMAND).
            unknown = nil
        }
        if let (code, reason) = unknown {
            answer(
                .error(ErrorReply(code: code, reason: reason, fatal: false, command: command.name, field: nil)),
                node: node, to: routingId, now: now)
        }
    }

    /// Answers malformed input. Nothing is stored; the session goes on unless the ERROR is fatal (a failed
    /// HELLO, an unsupported version), which ends it at once.
    private mutating func refuse(_ failure: DecodeFailure, routingId: [UInt8], node: String?, now: Int64) {
        log(
            .warning, "refused malformed input",
            [
                "code": "\(failure.code)", "node": node ?? "-", "command": failure.command ?? "-",
                "field": failure.field ?? "-",
            ])
        // The codec knows the spec's answer: REJECTED for a SEND with a readable id, else ERROR.
        answer(failure.reply, node: node, to: routingId, now: now)
        if failure.isFatal { endSession(onConnection: routingId, now: now) }
    }

    private mutating func handleHello(
        _ hello: Hello, routingId: [UInt8], keyNode: DirectoryEntry?, key: String?, peer: String?, now: Int64
    ) {
        // Every failed HELLO ends the connection's session (1/RBP §7.1).
        let entry: DirectoryEntry
        switch jurisdiction.identify(hello: hello, keyNode: keyNode) {
        case .node(let identified):
            entry = identified
        case .unknown:
            log(.warning, "unknown node refused", ["node": hello.node])
            let reason = "this broker does not know node '\(hello.node)'"
            answer(
                .error(ErrorReply(code: .unknownNode, reason: reason, fatal: true, command: "HELLO", field: "node")),
                node: nil, to: routingId, now: now)
            return endSession(onConnection: routingId, now: now)
        case .mismatch(let keyNode):
            refuseSpoof(
                claimed: hello.node, keyNode: keyNode, routingId: routingId, command: "HELLO", peer: peer, now: now)
            return endSession(onConnection: routingId, now: now)
        case .suspended(let suspended):
            let reason = "node '\(suspended.id)' is suspended"
            answer(
                .error(ErrorReply(code: .nodeSuspended, reason: reason, fatal: true, command: "HELLO", field: nil)),
                node: suspended.id, to: routingId, now: now)
            return endSession(onConnection: routingId, now: now)
        }
        openSession(entry.id, window: hello.window, routingId: routingId, key: key, now: now)
    }

    private mutating func openSession(
        _ node: String, window asked: Int, routingId: [UInt8], key: String?, now: Int64
    ) {
        if let previous = sessions.node(routingId), previous != node {
            scheduler.closeSession(node: previous, reason: .takenOver, now: now)
        }
        let limits = settings.limits
        let window = min(max(asked, 1), limits.maxWindow)
        let opened = scheduler.openSession(node: node, window: window, now: now)
        sessions.open(node, session: opened.session, on: routingId, key: key)
        audit(
            AuditEvent(at: now, event: AuditEvent.Name.sessionOpened, node: node, detail: "session=\(opened.session)"))
        log(
            .info, "session opened",
            [
                "node": node, "session": "\(opened.session)", "window": "\(window)", "pending": "\(opened.pending)",
                "receipts": "\(opened.receipts)",
            ])
        let welcome = Welcome(
            node: node, session: String(opened.session), heartbeatMs: settings.heartbeatMs,
            liveness: settings.liveness, window: window, ackTimeoutMs: settings.ackTimeoutMs,
            maxHeader: limits.maxHeaderBytes, maxBody: limits.maxBodyBytes, maxRecipients: limits.maxRecipients,
            pending: opened.pending, receipts: opened.receipts, store: settings.storeEpoch)
        actions.append(.send(.welcome(welcome), to: routingId))
    }

    /// A connection claimed to be another node than its key: refused, fatal, audited (1/RBP §13.4: the
    /// claimed id, the key's node and fingerprint, the peer address).
    mutating func refuseSpoof(
        claimed: String, keyNode: String, routingId: [UInt8], command: String, peer: String?, now: Int64
    ) {
        log(.warning, "identity mismatch refused", ["claimed": claimed, "key_node": keyNode])
        countAuthFailure("identity-mismatch")
        let fingerprint = jurisdiction.entry(keyNode).flatMap { settings.keyFingerprint($0.publicKey) }
        audit(
            AuditEvent(
                at: now, event: AuditEvent.Name.authFailed, node: keyNode, peer: peer, keyFingerprint: fingerprint,
                code: ErrorCode.identityMismatch.rawValue, detail: "\(command) claimed to be '\(claimed)'"))
        let reason = "this connection's key belongs to another node"
        actions.append(
            .send(
                .error(
                    ErrorReply(
                        code: .identityMismatch, reason: reason, fatal: true, command: command,
                        field: command == "HELLO" ? "node" : nil)), to: routingId))
    }

    /// The ZAP answer (RFC 27) to a CURVE handshake with `key` (Z85; nil: not CURVE or no readable key): an
    /// active registered key is let in with itself as User-Id; anything else is refused and audited.
    public mutating func handshake(
        key: String?, fingerprint: String?, mechanism: String, peer: String, now: Int64
    ) -> (admitted: Bool, text: String, userId: String, actions: [MachineAction]) {
        var answer: (Bool, String, String) = (false, "CURVE required", "")
        if let key {
            // A replaced key whose grace ended this very turn (the tick that drops it comes after the handshakes).
            let expired = jurisdiction.graceKeys[key].map { $0.until <= now } ?? false
            switch expired ? nil : jurisdiction.keyOwner(key) {
            case let entry? where entry.isActive:
                answer = (true, "OK", key)
            case let entry?:
                answer.1 = "node suspended"
                countAuthFailure("node-suspended")
                refuseHandshake(node: entry.id, fingerprint: fingerprint, peer: peer, why: answer.1, now: now)
            case nil:
                answer.1 = "unknown key"
                countAuthFailure("unknown-key")
                refuseHandshake(node: nil, fingerprint: fingerprint, peer: peer, why: answer.1, now: now)
            }
        } else {
            countAuthFailure("not-curve")
            refuseHandshake(node: nil, fingerprint: nil, peer: peer, why: "mechanism \(mechanism)", now: now)
        }
        let taken = actions
        actions = []
        return (answer.0, answer.1, answer.2, taken)
    }

    private mutating func refuseHandshake(node: String?, fingerprint: String?, peer: String, why: String, now: Int64) {
        log(
            .warning, "handshake refused",
            ["reason": why, "key": fingerprint ?? "-", "peer": peer, "node": node ?? "-"])
        audit(
            AuditEvent(
                at: now, event: AuditEvent.Name.authFailed, node: node, peer: peer, keyFingerprint: fingerprint,
                detail: why))
    }
}
