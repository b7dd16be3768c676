import CaseCore
import Testing

@Suite struct CaseMachineTests {
    let caseId = "3f2a9c1e-8b4d-4e6f-9a0b-1c2d3e4f5a6b"

    @Test func theFullReferralLoopEndsCompleted() throws {
        var machine = CaseMachine(caseId: caseId, referrer: "school-1", service: "clinic-1")
        #expect(machine.status == .requested)
        let steps: [(CaseMove, CaseStatus)] = [
            (.received, .received), (.accepted, .accepted), (.appointment, .inProgress), (.noShow, .onHold),
            (.interim, .onHold), (.appointment, .inProgress), (.interim, .inProgress), (.completed, .completed),
        ]
        for (move, expected) in steps {
            #expect(try machine.apply(move, by: .service).get() == expected, "\(move)")
        }
        #expect(machine.status == .completed && !machine.status.isOpen)
        #expect(machine.attempt == 1)
    }

    @Test func anIllegalMoveIsRejectedWithTheCurrentStatus() {
        var machine = CaseMachine(
            caseId: caseId, referrer: "school-1", service: "clinic-1", status: .completed, attempt: 1)
        let result = machine.apply(.accepted, by: .service)
        #expect(
            result
                == .failure(
                    CaseRejection(code: .illegalTransition, move: .accepted, status: .completed, role: .service)))
        #expect(result.failureText == "ILLEGAL_TRANSITION: referral.accepted not allowed in status completed")
        #expect(machine.status == .completed)
    }

    @Test func onlyTheServiceMovesForwardAndOnlyTheReferrerCancels() {
        var machine = CaseMachine(caseId: caseId, referrer: "school-1", service: "clinic-1")
        let accept = machine.apply(.accepted, by: .referrer)
        #expect(accept.failure?.code == .forbiddenMove)
        #expect(
            accept.failureText
                == "FORBIDDEN_MOVE: referral.accepted may be sent only by the service, not the referrer; status requested"
        )
        #expect(machine.apply(.cancelled, by: .service).failure?.code == .forbiddenMove)
        #expect(machine.apply(.request, by: .service, service: "clinic-2").failure?.code == .forbiddenMove)
        #expect(machine.status == .requested && machine.service == "clinic-1" && machine.attempt == 1)
        #expect(machine.apply(.cancelled, by: .referrer) == .success(.cancelled))
        #expect(
            machine.apply(.cancelled, by: .referrer).failureText
                == "ILLEGAL_TRANSITION: referral.cancelled not allowed in status cancelled")
    }

    @Test func aDeclineIsReRoutedAsANewAttemptInTheSameCase() throws {
        var machine = CaseMachine(caseId: caseId, referrer: "school-1", service: "clinic-1")
        #expect(machine.apply(.declined, by: .service) == .success(.rejected))
        #expect(!machine.status.isOpen)
        #expect(machine.apply(.cancelled, by: .referrer).failure?.code == .illegalTransition)

        #expect(machine.apply(.request, by: .referrer, service: "clinic-2") == .success(.requested))
        #expect(machine.attempt == 2 && machine.service == "clinic-2" && machine.caseId == caseId)
        #expect(machine.role(of: "clinic-2") == .service)
        #expect(machine.role(of: "clinic-1") == nil)
        #expect(machine.role(of: "school-1") == .referrer)

        #expect(
            machine.apply(.request, by: .referrer, service: "clinic-3").failureText
                == "ILLEGAL_TRANSITION: referral.request not allowed in status requested")
        #expect(try machine.apply(.accepted, by: .service).get() == .accepted)
        #expect(try machine.apply(.completed, by: .service).get() == .completed)
    }

    /// Every (move, status) pair against the table in `CaseMove`'s documentation, written out
    /// again here independently.
    @Test func everyMoveInEveryStatusFollowsTheTable() {
        let allowed: [CaseMove: [CaseStatus: CaseStatus]] = [
            .request: [.rejected: .requested],
            .received: [.requested: .received],
            .accepted: [.requested: .accepted, .received: .accepted],
            .declined: [.requested: .rejected, .received: .rejected],
            .appointment: [.accepted: .inProgress, .inProgress: .inProgress, .onHold: .inProgress],
            .noShow: [.inProgress: .onHold],
            .interim: [.accepted: .inProgress, .inProgress: .inProgress, .onHold: .onHold],
            .completed: [.accepted: .completed, .inProgress: .completed, .onHold: .completed],
            .cancelled: [
                .requested: .cancelled, .received: .cancelled, .accepted: .cancelled, .inProgress: .cancelled,
                .onHold: .cancelled,
            ],
        ]
        for move in CaseMove.allCases {
            for status in CaseStatus.allCases {
                var machine = CaseMachine(caseId: caseId, referrer: "r", service: "s", status: status, attempt: 1)
                let result = machine.apply(move, by: move.role)
                if let expected = allowed[move]?[status] {
                    #expect(result == .success(expected), "\(move) in \(status)")
                } else {
                    #expect(result.failure?.code == .illegalTransition, "\(move) in \(status)")
                    #expect(result.failure?.status == status)
                    #expect(machine.status == status)
                }
            }
        }
    }

    @Test func onlyReferralKindsMoveACase() {
        #expect(CaseMove(kind: "referral.no-show") == .noShow)
        #expect(CaseMove(kind: "discharge.notice") == nil)
        #expect(CaseMove(kind: "followup.visit") == nil)
        #expect(CaseStatus.inProgress.rawValue == "in-progress" && CaseStatus.onHold.rawValue == "on-hold")
    }
}

extension Result where Failure == CaseRejection {
    var failure: CaseRejection? {
        if case .failure(let rejection) = self { return rejection }
        return nil
    }

    var failureText: String? { failure?.description }
}
