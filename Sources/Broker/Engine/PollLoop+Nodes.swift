import AgencyDirectory
import BrokerCore
import BrokerStore
import CaseCore
import Logging
import ReferralProtocol
import ZeroMQ

extension PollLoop {
    /// Reads what the nodes sent, a bounded number per turn so timers and the store's
    /// completions are never starved.
    func receiveFromNodes(now: Int64) {
        for _ in 0..<2_048 {
            let message: Message?
            do {
                // The routing id, then at most `framesKept` frames: one message costs a bounded copy.
                message = try router.receive(dontWait: true, keepingAtMost: 1 + Self.framesKept)
            } catch {
                logger.error("receive failed", metadata: ["error": "\(error)"])
                return
            }
            guard let message else { return }
            guard message.frames.count >= 1 else { continue }
            let routingId = message.frames[0]
            handleNodeMessage(
                routingId: routingId, frames: Array(message.frames.dropFirst()), message: message, now: now)
        }
    }

    private func handleNodeMessage(routingId: [UInt8], frames: [[UInt8]], message: Message, now: Int64) {
        // Identity is the CURVE key (the ZAP User-Id of this very message), never the routing id or a header
        // field, and it is checked against the directory in force now: a key that is unknown, replaced by a
        // re-key, or whose node was suspended or removed is ignored, whatever its handshake found.
        var keyNode: DirectoryEntry?
        if !jurisdiction.plaintext {
            guard let active = jurisdiction.activeNode(key: message.userId) else { return }
            if let sessionNode = nodeByRoutingId[routingId], sessionNode != active.id {
                refuseSpoof(
                    claimed: sessionNode, keyNode: active.id, routingId: routingId, command: "(session)",
                    peer: message.peerAddress, now: now)
                endSession(onConnection: routingId, now: now)
                return
            }
            keyNode = active
        }
        let node = nodeByRoutingId[routingId]
        if let node { scheduler.heard(from: node, now: now) }
        let command: Command
        switch Codec.decode(frames, direction: .nodeToBroker, limits: codecLimits) {
        case .failure(let failure):
            refuse(failure, routingId: routingId, node: node ?? keyNode?.id, now: now)
            return
        case .success(let decoded):
            command = decoded
        }
        switch command {
        case .hello(let hello):
            handleHello(hello, routingId: routingId, keyNode: keyNode, peer: message.peerAddress, now: now)
        case .ping where node != nil:
            _ = send(.pong, to: routingId)
        case .pong:
            break
        case .bye:
            if node != nil { endSession(onConnection: routingId, reason: .bye, now: now) }
        default:
            guard let node else {
                return answer(
                    .error(
                        ErrorReply(
                            code: .notConnected, reason: "send HELLO first: this connection has no session",
                            fatal: false, command: command.name, field: nil)),
                    node: keyNode?.id, to: routingId, now: now)
            }
            handleSessionCommand(command, node: node, routingId: routingId, now: now)
        }
    }

    /// Ends the session this connection holds at once, so that whatever the node sent behind the message that
    /// ended it, even in the same batch, finds no session (1/RBP §7.1, §7.13).
    func endSession(onConnection routingId: [UInt8], reason: SessionEndReason = .fatalError, now: Int64) {
        guard let node = nodeByRoutingId.removeValue(forKey: routingId) else { return }
        if connections[node]?.routingId == routingId { connections[node] = nil }
        scheduler.closeSession(node: node, reason: reason, now: now)
    }

    /// Sends an ERROR or REJECTED and audits it: 1/RBP §13.8 promises a record of every rejection, with its
    /// code. `node` is the connection's node (its session's, or its key's); `kind` the refused SEND's kind.
    func answer(_ reply: Command, node: String?, kind: String? = nil, to routingId: [UInt8], now: Int64) {
        switch reply {
        case .rejected(let rejected):
            audit(
                AuditEvent(
                    at: now, event: AuditEvent.Name.rejected, node: node, messageId: rejected.id,
                    recipient: rejected.recipient, kind: kind, code: rejected.code.rawValue, detail: rejected.reason))
        case .error(let error):
            audit(
                AuditEvent(
                    at: now, event: AuditEvent.Name.rejected, node: node, code: error.code.rawValue,
                    detail: "ERROR to \(error.command ?? "(no command)"): \(error.reason)"))
        default:
            break
        }
        _ = send(reply, to: routingId)
    }

    private func handleSessionCommand(_ command: Command, node: String, routingId: [UInt8], now: Int64) {
        switch command {
        case .send(let message):
            handleSend(message, node: node, routingId: routingId, now: now)
        case .ack(let ack):
            if scheduler.ack(node: node, seq: ack.seq, now: now) == .unknown {
                unknown(
                    .unknownDelivery, "no delivery \(ack.seq) was made to this node", command: command, node: node,
                    to: routingId, now: now)
            }
        case .nack(let nack):
            if scheduler.nack(node: node, seq: nack.seq, retry: nack.retry, reason: nack.reason, now: now) == .unknown {
                unknown(
                    .unknownDelivery, "no delivery \(nack.seq) was made to this node", command: command, node: node,
                    to: routingId, now: now)
            }
        case .receiptAck(let confirmation):
            if scheduler.confirmReceipt(node: node, receipt: confirmation.receipt, now: now) == .unknown {
                unknown(
                    .unknownReceipt, "no receipt \(confirmation.receipt) is waiting for this node", command: command,
                    node: node, to: routingId, now: now)
            }
        default:
            // Broker-to-node commands are refused by the codec (UNEXPECTED_COMMAND).
            break
        }
    }

    private func unknown(
        _ code: ErrorCode, _ reason: String, command: Command, node: String, to routingId: [UInt8], now: Int64
    ) {
        answer(
            .error(ErrorReply(code: code, reason: reason, fatal: false, command: command.name, field: nil)),
            node: node, to: routingId, now: now)
    }

    /// Answers malformed input. Nothing is stored; the session goes on unless the ERROR is fatal (a failed
    /// HELLO, an unsupported version), which ends it at once.
    private func refuse(_ failure: DecodeFailure, routingId: [UInt8], node: String?, now: Int64) {
        logger.warning(
            "refused malformed input",
            metadata: [
                "code": "\(failure.code)", "node": "\(node ?? "-")", "command": "\(failure.command ?? "-")",
                "field": "\(failure.field ?? "-")",
            ])
        // The codec knows the spec's answer: REJECTED for a SEND with a readable id, else ERROR.
        answer(failure.reply, node: node, to: routingId, now: now)
        if failure.isFatal { endSession(onConnection: routingId, now: now) }
    }

    private func handleHello(_ hello: Hello, routingId: [UInt8], keyNode: DirectoryEntry?, peer: String?, now: Int64) {
        let entry: DirectoryEntry
        // Every failed HELLO ends the connection's session (1/RBP §7.1).
        switch jurisdiction.identify(hello: hello, keyNode: keyNode) {
        case .node(let identified):
            entry = identified
        case .unknown:
            logger.warning("unknown node refused", metadata: ["node": "\(hello.node)"])
            answer(
                .error(
                    ErrorReply(
                        code: .unknownNode, reason: "this broker does not know node '\(hello.node)'", fatal: true,
                        command: "HELLO", field: "node")), node: nil, to: routingId, now: now)
            return endSession(onConnection: routingId, now: now)
        case .mismatch(let keyNode):
            refuseSpoof(
                claimed: hello.node, keyNode: keyNode, routingId: routingId, command: "HELLO", peer: peer, now: now)
            return endSession(onConnection: routingId, now: now)
        case .suspended(let suspended):
            answer(
                .error(
                    ErrorReply(
                        code: .nodeSuspended, reason: "node '\(suspended.id)' is suspended in the directory",
                        fatal: true, command: "HELLO", field: nil)), node: suspended.id, to: routingId, now: now)
            return endSession(onConnection: routingId, now: now)
        }
        if let previous = nodeByRoutingId[routingId], previous != entry.id {
            scheduler.closeSession(node: previous, reason: .takenOver, now: now)
        }
        let window = min(max(hello.window, 1), configuration.limits.maxWindow)
        let opened = scheduler.openSession(node: entry.id, window: window, now: now)
        if let old = connections[entry.id], old.routingId != routingId {
            nodeByRoutingId[old.routingId] = nil
        }
        connections[entry.id] = (opened.session, routingId)
        nodeByRoutingId[routingId] = entry.id
        audit(
            AuditEvent(
                at: now, event: AuditEvent.Name.sessionOpened, node: entry.id, detail: "session=\(opened.session)"))
        logger.info(
            "session opened",
            metadata: [
                "node": "\(entry.id)", "session": "\(opened.session)", "window": "\(window)",
                "pending": "\(opened.pending)", "receipts": "\(opened.receipts)",
            ])
        let welcome = Welcome(
            node: entry.id, session: String(opened.session), heartbeatMs: configuration.heartbeatMs,
            liveness: configuration.liveness, window: window, ackTimeoutMs: configuration.ackTimeoutMs,
            maxHeader: configuration.limits.maxHeaderBytes, maxBody: configuration.limits.maxBodyBytes,
            maxRecipients: configuration.limits.maxRecipients, pending: opened.pending, receipts: opened.receipts,
            store: worker.storeEpoch)
        _ = send(.welcome(welcome), to: routingId)
    }

    private func handleSend(_ message: Send, node: String, routingId: [UInt8], now: Int64) {
        func reject(_ code: ErrorCode, _ reason: String, retry: Bool, field: String? = nil, recipient: String? = nil) {
            answer(
                .rejected(
                    Rejected(
                        id: message.id, code: code, retry: retry, reason: reason, field: field, recipient: recipient)),
                node: node, kind: message.kind, to: routingId, now: now)
        }
        if stopping {
            return reject(.shuttingDown, "the broker is stopping; send again after it is back", retry: true)
        }
        guard rateLimiter.allow(node, now: now) else {
            return reject(
                .rateLimited, "this node is sending faster than its rate limit; retry after a backoff", retry: true)
        }
        if pendingAccepts >= configuration.maxPendingAccepts {
            return reject(.overloaded, "too many messages are waiting to be stored; retry shortly", retry: true)
        }
        guard let sender = jurisdiction.entry(node), sender.isActive else {
            // Removed or suspended since its HELLO: the session ends (1/RBP §7.1).
            answer(
                .error(
                    ErrorReply(
                        code: .nodeSuspended, reason: "this node is suspended or no longer in the directory",
                        fatal: true, command: "SEND", field: nil)), node: node, to: routingId, now: now)
            return endSession(onConnection: routingId, now: now)
        }
        if case .denied(let why) = jurisdiction.policy.check(sender: sender, kind: message.kind) {
            logger.notice("forbidden send refused", metadata: ["node": "\(node)", "kind": "\(message.kind)"])
            return reject(.forbidden, why, retry: false)
        }
        let recipients: [String]
        let routing: String?
        switch jurisdiction.directory.resolve(recipients: message.to) {
        case .nodes(let ids, let via):
            (recipients, routing) = (ids, via)
            if ids.count > configuration.limits.maxRecipients {
                return reject(
                    .tooLarge, "the addresses resolve to \(ids.count) nodes, more than max_recipients", retry: false,
                    field: "to")
            }
        case .failure(let failure):
            logger.notice(
                "send to an unresolvable address refused",
                metadata: ["node": "\(node)", "code": "\(failure.code.rawValue)", "address": "\(failure.address)"])
            return reject(
                ErrorCode(rawValue: failure.code.rawValue), failure.reason, retry: false, recipient: failure.address)
        }
        var followUpRows: [NewDeadline] = []
        if let plan = message.followUp, let caseId = message.caseId?.lowercased() {
            switch FollowUps.resolve(plan, sender: node, recipients: recipients, directory: jurisdiction.directory) {
            case .failure(let refusal):
                return reject(
                    refusal.code, refusal.reason, retry: false, field: refusal.field, recipient: refusal.recipient)
            case .success(let resolved):
                followUpRows = FollowUps.arming(
                    resolved, settings: escalation, directory: jurisdiction.directory, caseId: caseId, sender: node,
                    messageId: message.id, recipients: recipients, dayMs: configuration.followUpDayMs, now: now)
            }
        }
        // A referral move is decided by the store thread against the case row, in the transaction that would
        // store it (1/RBP §7.3, case tracking); nothing about cases is kept here.
        var caseCheck: CaseMoveCheck?
        if CaseMove(kind: message.kind) != nil, let caseId = message.caseId?.lowercased() {
            caseCheck = CaseTracking.storeCheck(
                kind: message.kind, caseId: caseId, sender: node, recipients: recipients, priority: message.priority,
                now: now)
        }
        let priority = message.priority
        let record = NewMessage(
            // The digest (SHA-256 of the content) is computed by the store thread, off this loop.
            sender: node, messageId: message.id, digest: [], kind: message.kind,
            caseId: message.caseId, priority: priority.rank, recipients: recipients, acceptedAt: now,
            body: message.body)
        let work = deadlineWork(
            kind: message.kind, caseId: message.caseId?.lowercased(), node: node, messageId: message.id,
            recipients: recipients, priority: message.priority, tracked: caseCheck != nil, now: now)
        storeRequests.append(
            .accept(
                PendingAccept(
                    routingId: routingId, message: record, priority: priority, routing: routing, addresses: message.to,
                    caseCheck: caseCheck, deadlines: work.set + followUpRows, closes: work.closes,
                    followUpMeet: FollowUps.meeting(
                        kind: message.kind, caseId: message.caseId?.lowercased(), sender: node),
                    followUp: message.followUp)))
        pendingAccepts += 1
    }

    /// A connection claimed to be another node than its key: refused, fatal, audited (1/RBP §13.4: the
    /// claimed id, the key's node and fingerprint, the peer address).
    func refuseSpoof(claimed: String, keyNode: String, routingId: [UInt8], command: String, peer: String?, now: Int64) {
        logger.warning("identity mismatch refused", metadata: ["claimed": "\(claimed)", "key_node": "\(keyNode)"])
        let fingerprint = jurisdiction.entry(keyNode).flatMap { CurveKey(z85: $0.publicKey) }
            .map { AuditEvent.keyFingerprint(of: $0.bytes) }
        audit(
            AuditEvent(
                at: now, event: AuditEvent.Name.authFailed, node: keyNode, peer: peer, keyFingerprint: fingerprint,
                code: ErrorCode.identityMismatch.rawValue, detail: "\(command) claimed to be '\(claimed)'"))
        _ = send(
            .error(
                ErrorReply(
                    code: .identityMismatch, reason: "this connection's key belongs to another node", fatal: true,
                    command: command, field: command == "HELLO" ? "node" : nil)), to: routingId)
    }

    enum SendResult { case sent, busy, gone }

    /// One DONTWAIT send to a node. `busy`: the peer is at its high-water mark; `gone`: the
    /// routing id is not connected (ROUTER_MANDATORY). Neither loses anything durable.
    func send(_ command: Command, to routingId: [UInt8]) -> SendResult {
        var frames = Codec.encode(command)
        frames.insert(routingId, at: 0)
        do {
            return try router.send(frames, dontWait: true) ? .sent : .busy
        } catch let error as ZMQError where error.isHostUnreachable {
            return .gone
        } catch {
            logger.error("send failed", metadata: ["error": "\(error)", "command": "\(command.name)"])
            return .gone
        }
    }
}
