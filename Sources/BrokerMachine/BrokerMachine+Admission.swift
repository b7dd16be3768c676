import AgencyDirectory
import CaseCore
import ReferralProtocol
import StoreModel

/// Why a SEND is refused before the store: REJECTED with this code, `retry` false.
struct AdmissionRefusal: Error, Sendable, Hashable {
    var code: ErrorCode
    var reason: String
    var field: String?
    var recipient: String?
}

extension AdmissionRefusal {
    /// An address that does not resolve, with the directory's code, naming the address as written: one of `to`,
    /// or of the follow-up plan's `member` (then the reply names the `followup` field).
    init(_ failure: ResolutionFailure, followUpMember member: String? = nil) {
        self.init(
            code: ErrorCode(rawValue: failure.code.rawValue),
            reason: member.map { "\($0): \(failure.reason)" } ?? failure.reason,
            field: member.map { _ in "followup" }, recipient: failure.address)
    }
}

/// SEND admission (1/RBP §7.3, §12): rate limit → policy → address resolution → follow-up plan → store work.
/// Every refusal is REJECTED with its code and audited; ACCEPTED waits for the store's commit.
extension BrokerMachine {
    mutating func admit(_ message: Send, node: String, routingId: [UInt8], now: Int64) {
        if let (code, reason, retry) = refusalBeforeResolution(message, node: node, routingId: routingId, now: now) {
            return reject(message, code, reason, retry: retry, node: node, to: routingId, now: now)
        }
        guard let sender = jurisdiction.entry(node), sender.isActive else {
            // Removed or suspended since its HELLO: the session ends (1/RBP §7.1).
            let reason = "this node is suspended or no longer in the directory"
            answer(
                .error(ErrorReply(code: .nodeSuspended, reason: reason, fatal: true, command: "SEND", field: nil)),
                node: node, to: routingId, now: now)
            return endSession(onConnection: routingId, now: now)
        }
        if case .denied(let why) = jurisdiction.policy.check(sender: sender, kind: message.kind) {
            log(.notice, "forbidden send refused", ["node": node, "kind": message.kind])
            return reject(message, .forbidden, why, retry: false, node: node, to: routingId, now: now)
        }
        switch plan(message, node: node, now: now) {
        case .failure(let refusal):
            reject(
                message, refusal.code, refusal.reason, retry: false, field: refusal.field,
                recipient: refusal.recipient, node: node, to: routingId, now: now)
        case .success(var pending):
            pending.routingId = routingId
            actions.append(.store(.accept(pending)))
            pendingAccepts += 1
        }
    }

    /// The refusals that need nothing of the message but that it arrived: stopping, rate limit, overload.
    private mutating func refusalBeforeResolution(
        _ message: Send, node: String, routingId: [UInt8], now: Int64
    ) -> (ErrorCode, String, Bool)? {
        if stopping { return (.shuttingDown, "the broker is stopping; send again after it is back", true) }
        guard rateLimiter.allow(node, now: now) else {
            return (.rateLimited, "this node is sending faster than its rate limit; retry after a backoff", true)
        }
        if pendingAccepts >= settings.maxPendingAccepts {
            return (.overloaded, "too many messages are waiting to be stored; retry shortly", true)
        }
        return nil
    }

    /// Resolves the addresses and the follow-up plan and decides everything the store writes with the message:
    /// its digest, the case check, the deadlines it sets and meets.
    mutating func plan(_ message: Send, node: String, now: Int64) -> Result<PendingAccept, AdmissionRefusal> {
        let recipients: [String]
        let routing: String?
        switch jurisdiction.directory.resolve(recipients: message.to) {
        case .nodes(let ids, let via):
            (recipients, routing) = (ids, via)
            if ids.count > settings.limits.maxRecipients {
                return .failure(
                    AdmissionRefusal(
                        code: .tooLarge,
                        reason: "the addresses resolve to \(ids.count) nodes, more than max_recipients",
                        field: "to"))
            }
        case .failure(let failure):
            log(
                .notice, "send to an unresolvable address refused",
                ["node": node, "code": failure.code.rawValue, "address": failure.address])
            return .failure(AdmissionRefusal(failure))
        }
        let caseId = message.caseId?.lowercased()
        var followUpRows: [NewDeadline] = []
        if let plan = message.followUp, let caseId {
            switch FollowUps.resolve(plan, sender: node, recipients: recipients, directory: jurisdiction.directory) {
            case .failure(let refusal):
                return .failure(refusal)
            case .success(let resolved):
                followUpRows = FollowUps.arming(
                    resolved, settings: escalation, directory: jurisdiction.directory, caseId: caseId, sender: node,
                    messageId: message.id, recipients: recipients, dayMs: settings.followUpDayMs, now: now)
            }
        }
        // A referral move is decided by the store thread against the case row, in the transaction that would
        // store it (1/RBP §7.3, case tracking); nothing about cases is kept here.
        var caseCheck: CaseMoveCheck?
        if CaseMove(kind: message.kind) != nil, let caseId {
            caseCheck = CaseTracking.storeCheck(
                kind: message.kind, caseId: caseId, sender: node, recipients: recipients, priority: message.priority,
                now: now)
        }
        let record = NewMessage(
            // The CONFLICT key of 1/RBP §12.7, over the addresses as sent: computed once, here.
            sender: node, messageId: message.id, digest: message.contentDigest, kind: message.kind,
            caseId: message.caseId, priority: message.priority.rank, recipients: recipients, acceptedAt: now,
            body: message.body)
        let work = deadlineWork(
            kind: message.kind, caseId: caseId, node: node, messageId: message.id, recipients: recipients,
            priority: message.priority, tracked: caseCheck != nil, now: now)
        return .success(
            PendingAccept(
                routingId: [], message: record, priority: message.priority, routing: routing,
                caseCheck: caseCheck, deadlines: work.set + followUpRows, closes: work.closes,
                followUpMeet: FollowUps.meeting(kind: message.kind, caseId: caseId, sender: node)))
    }

    private mutating func reject(
        _ message: Send, _ code: ErrorCode, _ reason: String, retry: Bool, field: String? = nil,
        recipient: String? = nil, node: String, to routingId: [UInt8], now: Int64
    ) {
        answer(
            .rejected(
                Rejected(id: message.id, code: code, retry: retry, reason: reason, field: field, recipient: recipient)),
            node: node, kind: message.kind, to: routingId, now: now)
    }
}
