import CaseCore
import ReferralProtocol
import Testing

@Suite struct EscalationPolicyTests {
    @Test func theDefaultsAreTheBriefsTable() throws {
        let policies = EscalationPolicies.default
        let crisis = policies.policy(for: "crisis.alert", level: .crisis)
        #expect(crisis.deliveryMs == minute && crisis.answerMs == 15 * minute && crisis.repeatMs == 15 * minute)
        #expect(crisis.maxSteps == nil && crisis.clock == .continuous && crisis.fanOut)
        let urgent = policies.policy(for: "referral.request", level: .urgent)
        #expect(urgent.answerMs == 24 * hour && urgent.repeatMs == 24 * hour && urgent.clock == .workingDays)
        let routine = policies.policy(for: "referral.request", level: .routine)
        #expect(routine.answerMs == 3 * day && routine.repeatMs == 2 * day && routine.clock == .workingDays)
        #expect(!routine.fanOut)
        #expect(policies.policy(for: "discharge.notice", level: .followUp).answerMs == nil)
        #expect(
            try EscalationPolicies(document: PolicyDocument(), revision: "r1").policy(for: "x", level: .urgent)
                == urgent)
    }

    @Test func kindsOverrideTheirLevelsMemberByMember() throws {
        let document = PolicyDocument(
            levels: ["routine": PolicyEntry(answer: "5d", maxSteps: 4)],
            kinds: [
                "escalation.notice": ["*": PolicyEntry(delivery: "off")],
                "referral.request": [
                    "*": PolicyEntry(repeatEvery: "1d"), "routine": PolicyEntry(answer: "2d", clock: "continuous"),
                ],
            ])
        let policies = try EscalationPolicies(document: document, revision: "r7")
        let other = policies.policy(for: "discharge.notice", level: .routine)
        #expect(other.answerMs == 5 * day && other.repeatMs == 2 * day && other.maxSteps == 4)
        let request = policies.policy(for: "referral.request", level: .routine)
        #expect(
            request.answerMs == 2 * day && request.repeatMs == day && request.maxSteps == 4
                && request.clock == .continuous)
        #expect(policies.policy(for: "referral.request", level: .urgent).repeatMs == day)
        #expect(policies.policy(for: "escalation.notice", level: .crisis).deliveryMs == nil)
        #expect(policies.policy(for: "escalation.notice", level: .crisis).answerMs == 15 * minute)
        let snapshot = policies.snapshot(for: "referral.request", level: .routine)
        #expect(
            snapshot
                == PolicySnapshot(
                    id: "r7/referral.request/routine", repeatMs: day, maxSteps: 4, clock: .continuous, fanOut: false))
    }

    @Test func durationsAcceptTheirUnits() throws {
        let document = PolicyDocument(levels: [
            "crisis": PolicyEntry(delivery: "30s", answer: "10m", repeatEvery: "2h", maxSteps: 0),
            "urgent": PolicyEntry(maxSteps: 10, fanOut: true),
        ])
        let policies = try EscalationPolicies(document: document, revision: "r")
        let crisis = policies.policy(for: "crisis.alert", level: .crisis)
        #expect(crisis.deliveryMs == 30_000 && crisis.answerMs == 10 * minute && crisis.repeatMs == 2 * hour)
        #expect(crisis.maxSteps == nil)
        #expect(policies.policy(for: "crisis.alert", level: .urgent).maxSteps == 10)
        #expect(policies.policy(for: "crisis.alert", level: .urgent).fanOut)
    }

    @Test(arguments: [
        (PolicyDocument(version: 2), "version: must be 1, not 2"),
        (
            PolicyDocument(levels: ["red": PolicyEntry()]),
            "levels.red: not a risk level (crisis, urgent, routine, follow-up)"
        ),
        (
            PolicyDocument(levels: ["urgent": PolicyEntry(answer: "24")]),
            "levels.urgent.answer: \"24\" is not a duration (30s, 15m, 24h, 3d) or off, at most 3650d"
        ),
        (
            PolicyDocument(levels: ["urgent": PolicyEntry(answer: "3651d")]),
            "levels.urgent.answer: \"3651d\" is not a duration (30s, 15m, 24h, 3d) or off, at most 3650d"
        ),
        (
            PolicyDocument(levels: ["urgent": PolicyEntry(repeatEvery: "off")]),
            "levels.urgent.repeat: \"off\" is not a duration (30s, 15m, 24h, 3d), at most 3650d"
        ),
        (
            PolicyDocument(levels: ["urgent": PolicyEntry(delivery: "0m")]),
            "levels.urgent.delivery: \"0m\" is not a duration (30s, 15m, 24h, 3d) or off, at most 3650d"
        ),
        (
            PolicyDocument(levels: ["urgent": PolicyEntry(maxSteps: 11)]),
            "levels.urgent.max_steps: must be 0 (every level of the chain) to 10, not 11"
        ),
        (
            PolicyDocument(levels: ["urgent": PolicyEntry(clock: "office-hours")]),
            "levels.urgent.clock: \"office-hours\" is not continuous or working-days"
        ),
        (
            PolicyDocument(kinds: ["Referral.Request": [:]]),
            "kinds[\"Referral.Request\"]: not a message kind (lowercase segments separated by dots)"
        ),
        (
            PolicyDocument(kinds: ["referral.request": ["orange": PolicyEntry()]]),
            "kinds[\"referral.request\"].orange: not a risk level (crisis, urgent, routine, follow-up) or *"
        ),
        (
            PolicyDocument(kinds: ["referral.request": ["*": PolicyEntry(answer: "soon")]]),
            "kinds[\"referral.request\"].*.answer: \"soon\" is not a duration (30s, 15m, 24h, 3d) or off, at most 3650d"
        ),
    ])
    func aFaultyDocumentIsRefusedWithThePathToFix(document: PolicyDocument, message: String) {
        #expect(throws: ConfigurationError.self) { try EscalationPolicies(document: document, revision: "r") }
        do {
            _ = try EscalationPolicies(document: document, revision: "r")
        } catch {
            #expect(error.description == message)
        }
    }
}
