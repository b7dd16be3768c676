import BrokerCore
import BrokerStore
import Foundation
import Logging
import ReferralProtocol
import Synchronization
import ZeroMQ

/// The one owner of the broker's writer connection, on a thread of its own.
///
/// Group commit: it sleeps until work arrives, takes *everything* queued (all SENDs, ACKs and
/// receipt confirmations that arrived while the previous commit was syncing), applies it in
/// one transaction (one fsync), then hands the completions to the poll thread and wakes it.
/// ACCEPTED is only ever sent from those completions.
final class StoreWorker: Sendable {
    private struct Queue {
        var requests: [StoreRequest] = []
        var stopping = false
        var busy = false
    }

    private let store: BrokerStore
    private let logger: Logger
    private let queue = Mutex(Queue())
    private let condition = NSCondition()
    private let completions = Mutex<[StoreCompletion]>([])
    private let notifier: EventNotifier
    private let finished = Mutex<Bool>(false)

    /// The store's epoch (lowercase hex), announced in every WELCOME (1/RBP §7.2).
    let storeEpoch: String?

    init(store: BrokerStore, notifier: EventNotifier, logger: Logger) {
        self.store = store
        self.storeEpoch = store.epoch.count == 16 ? SHA256.hex(store.epoch) : nil
        self.notifier = notifier
        self.logger = logger
    }

    /// A copy taken by the store thread after each batch: the poll thread must not read the
    /// store's own counters while a commit updates them.
    private let statisticsSnapshot = Mutex(StoreStatistics(transactions: 0, rowsWritten: 0))

    var statistics: StoreStatistics { statisticsSnapshot.withLock { $0 } }

    func start() {
        let thread = Thread { [self] in self.run() }
        thread.name = "referrald-store"
        thread.start()
    }

    func submit(_ requests: [StoreRequest]) {
        guard !requests.isEmpty else { return }
        condition.lock()
        queue.withLock { $0.requests.append(contentsOf: requests) }
        condition.signal()
        condition.unlock()
    }

    /// Everything the store has finished since the last call.
    func takeCompletions() -> [StoreCompletion] {
        completions.withLock { pending in
            defer { pending.removeAll(keepingCapacity: true) }
            return pending
        }
    }

    /// Number of requests not yet committed (queued or in the commit now running).
    var backlog: (queued: Int, busy: Bool) {
        queue.withLock { ($0.requests.count, $0.busy) }
    }

    /// Asks the thread to finish what is queued and exit.
    func stop() {
        condition.lock()
        queue.withLock { $0.stopping = true }
        condition.signal()
        condition.unlock()
    }

    var isFinished: Bool { finished.withLock { $0 } }

    private func run() {
        while true {
            condition.lock()
            var batch: [StoreRequest] = []
            var stopping = false
            while true {
                (batch, stopping) = queue.withLock { state in
                    let taken = state.requests
                    state.requests.removeAll(keepingCapacity: true)
                    state.busy = !taken.isEmpty
                    return (taken, state.stopping)
                }
                if !batch.isEmpty || stopping { break }
                condition.wait()
            }
            condition.unlock()
            if !batch.isEmpty {
                let results = process(batch)
                noteMark()
                let counters = store.statistics
                statisticsSnapshot.withLock { $0 = counters }
                completions.withLock { $0.append(contentsOf: results) }
                queue.withLock { $0.busy = false }
                notifier.notify()
            } else if stopping {
                break
            }
        }
        do { try store.close() } catch { logger.error("closing the store failed", metadata: ["error": "\(error)"]) }
        finished.withLock { $0 = true }
        notifier.notify()
    }

    /// Whether the high-water mark was behind after the previous batch (logged when that changes).
    private let markWasBehind = Mutex(false)

    private func noteMark() {
        let behind = store.isMarkBehind
        guard markWasBehind.withLock({ was in defer { was = behind }; return was != behind }) else { return }
        if behind {
            logger.error(
                """
                cannot write the store's high-water mark (broker.highwater): a lost -wal file would go unnoticed \
                until it is written again; check the disk
                """)
        } else {
            logger.notice("the store's high-water mark is written again")
        }
    }

    private func process(_ batch: [StoreRequest]) -> [StoreCompletion] {
        var ops: [StoreOp] = []
        var acceptSlots: [Int: PendingAccept] = [:]
        var fires: [(index: Int, request: FireRequest)] = []
        var persists: [StoreRequest] = []
        var reads: [StoreRequest] = []
        for request in batch {
            switch request {
            case .accept(let pending):
                var message = pending.message
                if message.digest.isEmpty {
                    message.digest = Self.contentDigest(
                        of: message, addresses: pending.addresses, priority: pending.priority,
                        followUp: pending.followUp)
                }
                acceptSlots[ops.count] = pending
                // A case move is decided and written in the same transaction, only if the message is stored.
                ops.append(pending.caseCheck.map { .acceptTracked(message, $0) } ?? .accept(message))
                // So do the deadlines it sets and those it meets.
                for deadline in pending.deadlines { ops.append(.addDeadlineIfStored(deadline)) }
                for close in pending.closes {
                    ops.append(
                        .closeDeadlinesIfStored(
                            caseId: close.caseId, item: close.item, state: close.state, at: message.acceptedAt))
                }
                if let meet = pending.followUpMeet { ops.append(meet.storeOp(at: message.acceptedAt)) }
                // Audited in the same transaction; a CONFLICT or duplicate is audited by the
                // poll thread once the outcome is known.
                ops.append(
                    .audit(
                        AuditEvent(
                            at: message.acceptedAt, event: AuditEvent.Name.accepted, node: message.sender,
                            messageId: message.messageId, recipient: message.recipients.joined(separator: ","),
                            kind: message.kind, detail: pending.routing)))
            case .fire(let fire):
                fires.append((ops.count, fire))
                ops.append(.fireDeadline(id: fire.deadlineId, at: fire.at, next: fire.next))
                if let pending = fire.notice {
                    var message = pending.message
                    if message.digest.isEmpty {
                        message.digest = Self.contentDigest(
                            of: message, addresses: pending.addresses, priority: pending.priority)
                    }
                    acceptSlots[ops.count] = pending
                    ops.append(.acceptIfFired(message))
                    ops.append(
                        .auditIfFired(
                            AuditEvent(
                                at: message.acceptedAt, event: AuditEvent.Name.accepted, node: message.sender,
                                messageId: message.messageId, recipient: message.recipients.joined(separator: ","),
                                kind: message.kind, detail: pending.routing)))
                }
                if let audit = fire.audit { ops.append(.auditIfFired(audit)) }
            case .persist(let op):
                ops.append(Self.storeOp(op))
                if case .delivered(let seq, let recipient, let at, _, _) = op {
                    // The delivery deadline of this message to this recipient is met.
                    ops.append(.closeDeliveryDeadline(seq: seq, recipient: recipient, at: at))
                }
                if let record = Self.auditEvent(for: op) { ops.append(.audit(record)) }
                persists.append(request)
            case .audit(let event):
                ops.append(.audit(event))
                persists.append(request)
            case .load, .trail, .caseInfo, .verifyAudit, .exportAudit, .dueDeadlines, .overdue:
                reads.append(request)
            }
        }
        var out: [StoreCompletion] = []
        if !ops.isEmpty {
            do {
                let results = try store.apply(ops)
                for fire in fires {
                    var fired = false
                    if case .fired = results[fire.index] { fired = true }
                    out.append(
                        .fired(deadlineId: fire.request.deadlineId, fired: fired, nextDue: fire.request.next?.dueAt))
                }
                for (index, result) in results.enumerated() {
                    switch result {
                    case .accept(let outcome):
                        if let pending = acceptSlots[index] { out.append(.accepted(pending, outcome)) }
                    case .receipt(let record):
                        out.append(.receiptCreated(record))
                    case .caseRefused(let code, let reason):
                        guard var pending = acceptSlots[index] else { break }
                        pending.caseRefusal = CaseRefusal(code: ErrorCode(rawValue: code), reason: reason)
                        out.append(.caseRefused(pending))
                    case .deadline, .closedDeadlines, .fired, .notFired, .none:
                        break
                    }
                }
            } catch {
                // Nothing of the batch is stored. SENDs are refused (the sender retries);
                // settlements are kept and tried again, as they are already decided.
                logger.error(
                    "group commit failed", metadata: ["error": "\(error)", "ops": "\(ops.count)"])
                for index in acceptSlots.keys.sorted() {
                    guard let pending = acceptSlots[index], !pending.isNotice else { continue }
                    out.append(.acceptFailed(pending, reason: "the broker could not write to its store"))
                }
                for fire in fires {
                    out.append(.fired(deadlineId: fire.request.deadlineId, fired: false, nextDue: nil))
                }
                if !persists.isEmpty {
                    if queue.withLock({ $0.stopping }) {
                        // Retrying forever would keep a stopping broker from exiting (a full disk stays
                        // full). Settlements not written are redone after restart: unacknowledged
                        // deliveries are sent again and the nodes' inboxes drop the duplicates.
                        logger.error(
                            "stopping with settlements not written; they are redone after restart",
                            metadata: ["count": "\(persists.count)"])
                    } else {
                        queue.withLock { $0.requests.insert(contentsOf: persists, at: 0) }
                        Thread.sleep(forTimeInterval: 0.2)
                    }
                }
            }
        }
        for request in reads {
            switch request {
            case .load(let seqs):
                do {
                    let messages = try store.loadMessages(seqs: seqs)
                    let found = Set(messages.map(\.seq))
                    out.append(.loaded(messages, missing: seqs.filter { !found.contains($0) }))
                } catch {
                    logger.error("loading messages failed", metadata: ["error": "\(error)"])
                    out.append(.loaded([], missing: seqs))
                }
            case .trail(let query, let replyTo):
                do {
                    let entries: [TrailEntry]
                    switch query {
                    case .message(let sender, let id): entries = try store.trail(sender: sender, messageId: id)
                    case .caseId(let caseId): entries = try store.trail(caseId: caseId)
                    }
                    out.append(.trail(entries, replyTo: replyTo))
                } catch {
                    out.append(.trailFailed(reason: "the store could not be read", replyTo: replyTo))
                }
            case .caseInfo(let caseId, let replyTo):
                do {
                    out.append(.caseInfo(try Self.readCase(caseId, from: store), replyTo: replyTo))
                } catch {
                    out.append(.trailFailed(reason: "the store could not be read", replyTo: replyTo))
                }
            case .dueDeadlines(let before, let limit):
                do {
                    let records = try store.dueDeadlines(before: before, limit: limit)
                    out.append(.dueDeadlines(records, before: before, limit: limit))
                } catch {
                    logger.error("reading due deadlines failed", metadata: ["error": "\(error)"])
                    out.append(.dueDeadlinesFailed)
                }
            case .overdue(let now, let region, let agency, let risk, let replyTo):
                do {
                    out.append(
                        .overdue(
                            try store.overdue(now: now, regionPrefix: region, agency: agency, risk: risk, limit: 1_000),
                            replyTo: replyTo))
                } catch {
                    out.append(.trailFailed(reason: "the store could not be read", replyTo: replyTo))
                }
            case .verifyAudit(let replyTo):
                do {
                    out.append(.auditVerified(try store.verifyAudit(), replyTo: replyTo))
                } catch {
                    out.append(.trailFailed(reason: "the audit trail could not be read", replyTo: replyTo))
                }
            case .exportAudit(let since, let limit, let replyTo):
                do {
                    out.append(.auditExported(try store.exportAudit(since: since, limit: limit), replyTo: replyTo))
                } catch {
                    out.append(.trailFailed(reason: "the audit trail could not be read", replyTo: replyTo))
                }
            default:
                break
            }
        }
        return out
    }

    /// ADMIN CASE's reads. The trail and the deadlines are read whether or not a case row exists: a case id can
    /// carry messages and deadlines without one.
    static func readCase(_ caseId: String, from store: BrokerStore) throws -> CaseInfo {
        // One more than shown, to know whether the list was cut.
        let deadlines = try store.openDeadlines(caseId: caseId, limit: CaseInfo.deadlineLimit + 1)
        return CaseInfo(
            caseId: caseId, record: try store.caseRecord(id: caseId), events: try store.trail(caseId: caseId),
            deadlines: Array(deadlines.prefix(CaseInfo.deadlineLimit)),
            deadlinesTruncated: deadlines.count > CaseInfo.deadlineLimit)
    }

    /// The audit record that goes with a settled delivery or a trail event.
    static func auditEvent(for op: PersistOp) -> AuditEvent? {
        switch op {
        case .delivered(let seq, let recipient, let at, let attempts, _):
            return AuditEvent(
                at: at, event: AuditEvent.Name.acked, node: recipient, seq: seq, detail: "attempts=\(attempts)")
        case .deadLettered(let seq, let recipient, let at, let attempts, _, let reason, _):
            return AuditEvent(
                at: at, event: AuditEvent.Name.deadLettered, node: recipient, seq: seq,
                detail: "attempts=\(attempts); \(reason)")
        case .receiptConfirmed:
            return nil
        case .event(let at, let seq, let recipient, let event, let attempt, let detail):
            guard event == TrailEventName.nacked.rawValue else { return nil }
            return AuditEvent(
                at: at, event: AuditEvent.Name.nacked, node: recipient, seq: seq,
                detail: "attempt=\(attempt ?? 0); \(detail ?? "")")
        }
    }

    /// The CONFLICT key of 1/RBP §12.7, hashed here so large bodies never stall the poll thread.
    static func contentDigest(
        of message: NewMessage, addresses: [String], priority: DeliveryPriority, followUp: FollowUpHeader? = nil
    ) -> [UInt8] {
        Send(
            id: message.messageId, to: addresses, kind: message.kind, caseId: message.caseId,
            priority: priority.wire, body: message.body, followUp: followUp
        ).contentDigest
    }

    static func storeOp(_ op: PersistOp) -> StoreOp {
        switch op {
        case .delivered(let seq, let recipient, let at, let attempts, let firstAttemptAt):
            return .delivered(
                seq: seq, recipient: recipient, at: at, attempts: attempts, firstAttemptAt: firstAttemptAt)
        case .deadLettered(let seq, let recipient, let at, let attempts, let firstAttemptAt, let reason, let holdCase):
            return .deadLettered(
                seq: seq, recipient: recipient, at: at, attempts: attempts, firstAttemptAt: firstAttemptAt,
                reason: reason, holdCase: holdCase)
        case .receiptConfirmed(let id, let at):
            return .receiptConfirmed(id: id, at: at)
        case .event(let at, let seq, let recipient, let event, let attempt, let detail):
            // BrokerCore names its events with the same raw values; an unknown one is a programming error.
            guard let name = TrailEventName(rawValue: event) else {
                preconditionFailure("trail event \(event) has no TrailEventName")
            }
            return .event(
                TrailEventRecord(at: at, seq: seq, recipient: recipient, event: name, attempt: attempt, detail: detail))
        }
    }
}
