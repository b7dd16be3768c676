import ReferralProtocol
import ZeroMQ

/// What one round of received messages asks for once the store has committed it.
struct Round {
    var batch = StoreBatch()
    /// Deliveries to ACK after the commit (duplicates included).
    var acks: [Int64] = []
    /// Receipts to confirm after the commit (duplicates included).
    var receiptAcks: [Int64] = []
    /// Outbox ids answered for good.
    var settled: [String] = []
    /// Outbox ids refused with `retry: true`, and when to resend them.
    var retries: [(id: String, notBefore: Int64)] = []
}

extension ConnectionLoop {
    /// Reads every message waiting on the socket (up to `maxRound`), commits all deliveries, receipts and
    /// answers in one transaction, then sends the ACKs and RECEIPT-ACKs and wakes the waiting callers.
    func receiveRound() throws {
        var round = Round()
        var count = 0
        let wallNow = wallClockMillis()
        while count < Self.maxRound, let socket, let message = try socket.receive() {
            count += 1
            lastReceived = monotonicMillis()
            handle(message.frames, into: &round, now: wallNow)
        }
        commit(round, now: wallNow)
    }

    private func handle(_ frames: [[UInt8]], into round: inout Round, now: Int64) {
        let command: Command
        switch Codec.decode(frames, direction: .brokerToNode, limits: limits) {
        case .success(let decoded):
            command = decoded
        case .failure(let failure):
            // The description names the code, command and field only, never content.
            logger.warning("ignoring a message from the broker that does not decode", metadata: ["fault": "\(failure)"])
            return
        }
        switch command {
        case .welcome(let welcome):
            openSession(welcome)
        case .accepted(let accepted):
            round.batch.answers.append(
                .accepted(
                    id: accepted.id, seq: accepted.seq, duplicate: accepted.duplicate, recipients: accepted.recipients))
            round.settled.append(accepted.id)
        case .rejected(let rejected):
            handle(rejected, into: &round, now: now)
        case .deliver(let deliver):
            round.batch.deliveries.append(
                InboxDelivery(
                    seq: deliver.seq, id: deliver.id, from: deliver.from, to: deliver.to, kind: deliver.kind,
                    caseId: deliver.caseId, priority: deliver.priority, acceptedAt: deliver.acceptedAt,
                    body: deliver.body))
            round.acks.append(deliver.seq)
        case .receipt(let receipt):
            round.batch.receipts.append(
                DeliveryReceipt(
                    receipt: receipt.receipt, seq: receipt.seq, messageId: receipt.id, recipient: receipt.recipient,
                    delivered: receipt.outcome == .delivered, at: receipt.at, reason: receipt.reason))
            round.receiptAcks.append(receipt.receipt)
        case .ping:
            _ = send(.pong)
        case .pong:
            break
        case .bye:
            shared.problem.withLock { $0 = "the broker is stopping" }
            reconnectNow("the broker said BYE")
        case .error(let error) where error.ref != nil || isOldBrokerRefusingQuery(error):
            answered(error)
        case .error(let error):
            handle(error)
        case .answer(let answer):
            shared.queries.complete(answer.ref, with: .success(answer))
        case .hello, .send, .ack, .nack, .receiptAck, .query:
            break  // node-to-broker commands do not decode in this direction
        }
    }

    private func handle(_ rejected: Rejected, into round: inout Round, now: Int64) {
        if rejected.retry {
            // Only an entry still waiting for its answer backs off; a late answer to a resend is ignored.
            guard let flight = scheduler.flight(rejected.id) else { return }
            let notBefore = now + retryDelay(retries: flight.row.retries)
            round.batch.answers.append(
                .retryLater(
                    id: rejected.id, code: rejected.code.rawValue, reason: rejected.reason, notBefore: notBefore))
            round.retries.append((rejected.id, notBefore))
            logger.debug(
                "send refused for now; will resend",
                metadata: ["id": "\(rejected.id)", "code": "\(rejected.code)", "in_ms": "\(notBefore - now)"])
        } else {
            round.batch.answers.append(
                .rejected(
                    id: rejected.id, code: rejected.code.rawValue, reason: rejected.reason, field: rejected.field,
                    recipient: rejected.recipient))
            round.settled.append(rejected.id)
            logger.warning("send rejected", metadata: ["id": "\(rejected.id)", "code": "\(rejected.code)"])
        }
    }

    func handle(_ error: ErrorReply) {
        let text = "\(error.code): \(error.reason)"
        if error.code == .notActive {
            // A standby, or an instance that just stopped being the active one (always fatal): the active one is
            // elsewhere. Unanswered SENDs stay in the outbox and go again after the next WELCOME (1/RBP §11.4).
            let endpoint = rotation.current
            shared.problem.withLock { $0 = "the broker at \(endpoint) is not the active instance: \(text)" }
            loseSession("the broker at \(endpoint) is not the active instance: \(text)", .tryAnother)
        } else if error.fatal {
            shared.problem.withLock { $0 = "the broker refused the session: \(text)" }
            loseSession("the broker ended the session: \(text)")
        } else if error.code == .notConnected {
            // The broker has no session for this connection (e.g. it restarted under a live TCP connection):
            // HELLO again on this socket, once; everything unanswered is resent after WELCOME.
            if case .session = phase {
                shared.connected.store(false, ordering: .releasing)
                logger.info("the broker lost the session; saying HELLO again")
                sendHello(now: monotonicMillis())
            }
        } else {
            logger.warning(
                "the broker reported an error",
                metadata: ["code": "\(error.code)", "command": "\(error.command ?? "-")", "reason": "\(error.reason)"])
        }
    }

    private func commit(_ round: Round, now: Int64) {
        var result = BatchResult()
        if !round.batch.isEmpty {
            do {
                result = try store.apply(round.batch, now: now)
            } catch {
                // Nothing of the round is stored: refuse the deliveries for now (the broker redelivers them with
                // backoff), leave receipts unconfirmed (resent after the next HELLO) and answers unrecorded (the
                // SENDs are resent after their ack timeout and answered again).
                logger.error("cannot commit to the local store", metadata: ["error": "\(error)"])
                for seq in round.acks {
                    _ = send(.nack(Nack(seq: seq, retry: true, reason: "inbox unavailable")))
                }
                return
            }
        }
        for id in round.settled { scheduler.settle(id, now: now) }
        for retry in round.retries { scheduler.retryLater(retry.id, notBefore: retry.notBefore) }
        for seq in round.acks { _ = send(.ack(Ack(seq: seq))) }
        for receipt in round.receiptAcks { _ = send(.receiptAck(ReceiptAck(receipt: receipt))) }

        var keys: [WaitKey] = round.settled.map { .outcome($0) }
        keys.append(contentsOf: result.receiptedMessages.map { .receipts($0) })
        if result.newReceipts > 0 { keys.append(.receiptLog) }
        if result.newEvents > 0 { keys.append(.eventLog) }
        if round.batch.answers.contains(where: \.isFinalRejection) { keys.append(.rejectionLog) }
        if result.newMessages > 0 { keys.append(.inbox) }
        if !keys.isEmpty { shared.waiters.wake(keys) }
    }
}
