import CaseCore
import ReferralProtocol
import StoreModel

/// A case as a store row carries it: the pure `CaseMachine` plus the times and the risk level.
struct TrackedCase: Sendable, Hashable {
    var machine: CaseMachine
    var openedAt: Int64
    var updatedAt: Int64
    var risk: String?

    /// From a stored row; nil for a row the machine cannot hold (unknown status, no parties).
    init?(_ record: CaseRecord) {
        guard let status = CaseStatus(rawValue: record.status), let referrer = record.referrer,
            let service = record.service
        else { return nil }
        machine = CaseMachine(
            caseId: record.caseId, referrer: referrer, service: service, status: status, attempt: record.attempt)
        openedAt = record.openedAt ?? 0
        updatedAt = record.updatedAt ?? openedAt
        risk = record.risk
    }

    init(machine: CaseMachine, openedAt: Int64, updatedAt: Int64, risk: String?) {
        self.machine = machine
        self.openedAt = openedAt
        self.updatedAt = updatedAt
        self.risk = risk
    }

    /// The row to store.
    var record: CaseRecord {
        CaseRecord(
            caseId: machine.caseId, status: machine.status.rawValue, referrer: machine.referrer,
            service: machine.service, attempt: machine.attempt, openedAt: openedAt, updatedAt: updatedAt, risk: risk)
    }
}

/// What case tracking says about one SEND (1/RBP §7.3, case tracking).
enum CaseCheck: Sendable, Hashable {
    /// Not a kind that moves a referral, or no case id: not tracked.
    case untracked
    /// A legal move: the case as it will be once the message is committed.
    case move(TrackedCase)
    /// REJECTED with this code (retry false) and reason; nothing is stored.
    case rejected(ErrorCode, String)
}

/// The pure decision of case tracking: no I/O, no state of its own.
enum CaseTracking {
    /// Checks a SEND of `kind` in `caseId` from `sender`, whose addresses resolved to `recipients`,
    /// against `current` (the case as the broker has it, pending moves included; nil if unknown).
    static func check(
        kind: String, caseId: String?, sender: String, recipients: [String], priority: Priority,
        current: TrackedCase?, now: Int64
    ) -> CaseCheck {
        guard let move = CaseMove(kind: kind), let caseId else { return .untracked }
        guard var tracked = current else {
            guard move == .request else {
                return .rejected(.unknownCase, "\(move) names case \(caseId), which the broker does not have")
            }
            guard recipients.count == 1, let service = recipients.first else {
                return .rejected(
                    .illegalTransition,
                    "referral.request must go to exactly one service, not \(recipients.count); status none (new case)")
            }
            let machine = CaseMachine(caseId: caseId, referrer: sender, service: service)
            return .move(TrackedCase(machine: machine, openedAt: now, updatedAt: now, risk: priority.rawValue))
        }
        let status = tracked.machine.status
        guard let role = tracked.machine.role(of: sender) else {
            return .rejected(
                .forbiddenMove, "\(move) may be sent only by a party to the case, not \(sender); status \(status)")
        }
        var newService: String?
        if move == .request {
            guard recipients.count == 1, let service = recipients.first else {
                return .rejected(
                    .illegalTransition,
                    "referral.request must go to exactly one service, not \(recipients.count); status \(status)")
            }
            newService = service
        }
        switch tracked.machine.apply(move, by: role, service: newService) {
        case .success:
            tracked.updatedAt = now
            if move == .request { tracked.risk = priority.rawValue }
            return .move(tracked)
        case .failure(let rejection):
            let code: ErrorCode = rejection.code == .forbiddenMove ? .forbiddenMove : .illegalTransition
            return .rejected(code, rejection.reason)
        }
    }
}

extension CaseTracking {
    /// The store-side form of `check` (`AcceptUnit.caseMove`): the store calls `decide` with the case row
    /// inside the transaction that would store the SEND. A row the machine cannot read counts as no case.
    static func storeCheck(
        kind: String, caseId: String, sender: String, recipients: [String], priority: Priority, now: Int64
    ) -> CaseMoveCheck {
        CaseMoveCheck(caseId: caseId) { record in
            let current = record.flatMap(TrackedCase.init)
            switch check(
                kind: kind, caseId: caseId, sender: sender, recipients: recipients, priority: priority,
                current: current, now: now)
            {
            case .untracked:
                // Not reached: only case-moving kinds with a case get a check. Refuse rather than store untracked.
                return .refuse(code: ErrorCode.illegalTransition.rawValue, reason: "\(kind) does not move a case")
            case .move(let moved):
                let status = moved.machine.status
                return .move(moved.record, endsCase: !status.isOpen && status != .rejected)
            case .rejected(let code, let reason):
                return .refuse(code: code.rawValue, reason: reason)
            }
        }
    }
}
