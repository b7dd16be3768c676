import Foundation
import ReferralProtocol
import Testing

@testable import ReferralBusiness

/// The business message bodies (protocols/business/README.md) against the examples in protocols/business/examples.
@Suite struct BusinessMessageTests {
    static let business: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // ReferralBusinessTests
        .deletingLastPathComponent()  // Tests
        .deletingLastPathComponent()  // package root
        .appendingPathComponent("protocols/business")

    static func example(_ kind: BusinessKind, _ expectation: String) throws -> Data {
        let path = business.appendingPathComponent("examples/\(kind.wireName).\(expectation).json").path
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ExampleMissing(path: path)
        }
        return data
    }

    struct ExampleMissing: Error, CustomStringConvertible {
        var path: String
        var description: String { "cannot read \(path)" }
    }

    static func tree(_ data: Data) throws -> JSONTree { try JSONDecoder().decode(JSONTree.self, from: data) }

    // MARK: - Valid examples

    /// Decodes with the plain decoder, re-encodes, and compares as parsed JSON.
    static func roundTrip<Body: BusinessBody>(_ type: Body.Type, _ data: Data) throws -> (Body, JSONTree) {
        let body = try BusinessCoding.makeDecoder().decode(Body.self, from: data)
        let encoded = try BusinessCoding.makeEncoder().encode(body)
        return (body, try tree(encoded))
    }

    static func strict<Body: BusinessBody>(_ type: Body.Type, _ data: Data) throws -> Body {
        try BusinessCoding.decode(Body.self, from: data)
    }

    @Test(arguments: BusinessKind.allCases)
    func validExampleDecodesAndReEncodesToTheSameJSON(kind: BusinessKind) throws {
        let data = try Self.example(kind, "valid")
        let (body, again) = try Self.roundTrip(kind.bodyType, data)
        #expect(again == (try Self.tree(data)), "\(kind): re-encoded JSON differs from the example")
        #expect(type(of: body).kind == kind)
        // The strict decode (validate + no unknown members) accepts it too, and gives the same value.
        let strict = try Self.strict(kind.bodyType, data)
        #expect(AnyHashable(strict) == AnyHashable(body))
        // And the kind-driven decoder picks the right type.
        #expect(try AnyBusinessBody.decode(kind: kind.wireName, body: Array(data)).kind == kind)
        // The encoder's bytes decode to the same value (what a node sends).
        let bytes = try BusinessCoding.encode(body)
        #expect(AnyHashable(try Self.strict(kind.bodyType, Data(bytes))) == AnyHashable(body))
    }

    // MARK: - Invalid examples

    /// Where each invalid example fails in Swift, and with what.
    enum Stage: Sendable {
        /// The plain `JSONDecoder` refuses it already: the structure is wrong.
        case structure
        /// It decodes, but `validate()` refuses a rule across members.
        case rule
        /// It decodes and validates, but has a member the schema does not: only a strict decode sees it.
        case unknownMember
    }

    static let invalidExamples: [(BusinessKind, Stage, BusinessBodyError)] = [
        (.referralRequest, .structure, .malformed(path: "lawful_basis", problem: "is missing")),
        (.referralReceived, .structure, .malformed(path: "decision_by", problem: "must be a calendar date YYYY-MM-DD")),
        (.referralAccepted, .structure, .malformed(path: "contact", problem: "is missing")),
        (
            .referralDeclined, .structure,
            .malformed(path: "reason", problem: "has a value outside its grammar or code list")
        ),
        (
            .referralAppointment, .rule,
            .invalid(
                path: "previous_appointment_at",
                rule: "is required for a rescheduled appointment and not allowed for a new one")
        ),
        (.referralNoShow, .rule, .invalid(path: "missed_count", rule: "must be 1 to 20")),
        (.referralInterim, .unknownMember, .unexpectedMember(path: "diagnosis")),
        (.referralCompleted, .structure, .malformed(path: "outcome", problem: "is missing")),
        (.referralCancelled, .rule, .invalid(path: "note", rule: "is required when the reason is other")),
        (
            .dischargeNotice, .structure,
            .malformed(
                path: "followup_plan/steps/1", problem: "must be either {within_days} or {every_days, for_months}")
        ),
        (
            .followUpVisit, .rule,
            .invalid(path: "next_steps", rule: "must include crisis-alert-sent when the risk is red")
        ),
        (
            .followUpClosed, .rule,
            .invalid(
                path: "transferred_to", rule: "is required when the reason is transferred and not allowed otherwise")
        ),
        (.crisisAlert, .structure, .malformed(path: "mandatory_report", problem: "is missing")),
        (
            .crisisAcknowledged, .structure,
            .malformed(path: "response", problem: "has a value outside its grammar or code list")
        ),
        (.escalationNotice, .unknownMember, .unexpectedMember(path: "child_ref")),
    ]

    @Test func everyKindHasOneInvalidExampleCase() {
        #expect(Set(Self.invalidExamples.map(\.0)) == Set(BusinessKind.allCases))
        #expect(Self.invalidExamples.count == BusinessKind.allCases.count)
    }

    static func plainDecodeFails<Body: BusinessBody>(_ type: Body.Type, _ data: Data) -> Bool {
        (try? BusinessCoding.makeDecoder().decode(Body.self, from: data)) == nil
    }

    static func lenientDecodeFails<Body: BusinessBody>(_ type: Body.Type, _ data: Data) -> Bool {
        (try? BusinessCoding.decode(Body.self, from: data, strict: false)) == nil
    }

    @Test(arguments: BusinessKind.allCases)
    func invalidExampleIsRefused(kind: BusinessKind) throws {
        let data = try Self.example(kind, "invalid")
        let (_, stage, expected) = try #require(Self.invalidExamples.first { $0.0 == kind })
        #expect(throws: expected) { _ = try Self.strict(kind.bodyType, data) }
        #expect(throws: expected) { try AnyBusinessBody.decode(kind: kind.wireName, body: Array(data)) }
        let plainFails = Self.plainDecodeFails(kind.bodyType, data)
        let lenientFails = Self.lenientDecodeFails(kind.bodyType, data)
        switch stage {
        case .structure:
            #expect(plainFails, "\(kind): the plain decoder should refuse it")
        case .rule:
            #expect(!plainFails, "\(kind): structurally fine")
            #expect(lenientFails, "\(kind): validate() refuses it")
        case .unknownMember:
            #expect(!lenientFails, "\(kind): only the strict decode refuses it")
        }
    }

    @Test func errorsNeverQuoteTheBody() throws {
        let declined = try Self.example(.referralDeclined, "invalid")
        do {
            _ = try BusinessCoding.decode(ReferralDeclined.self, from: declined)
            Issue.record("should fail")
        } catch {
            #expect(!error.description.contains("too-busy"))
        }
        let idShaped = #"{"decision_by":"2026-03-05","service_ref":"not a reference 110101200001011234"}"#
        do {
            _ = try BusinessCoding.decode(ReferralReceived.self, from: Array(idShaped.utf8))
            Issue.record("should fail")
        } catch {
            #expect(
                error
                    == .malformed(
                        path: "service_ref", problem: "must be a record reference (letters, digits, . _ : / -)"))
            #expect(!error.description.contains("1101"))
        }
    }

    // MARK: - Kinds and files

    @Test func fifteenKindsEachWithASchema() {
        #expect(BusinessKind.allCases.count == 15)
        for kind in BusinessKind.allCases {
            let schema = Self.business.appendingPathComponent("schemas/\(kind.wireName).schema.json").path
            #expect(FileManager.default.fileExists(atPath: schema), "\(kind)")
            #expect(Identifiers.isValidKind(kind.wireName))
            #expect(kind.requiresCase == (kind != .crisisAlert && kind != .crisisAcknowledged))
        }
        #expect(BusinessKind(rawValue: "referral.no-show") == .referralNoShow)
        #expect(BusinessKind(rawValue: "followup.visit") == .followUpVisit)
    }

    // MARK: - Shared types

    @Test func childReferencesArePseudonymsNotIdentifiers() {
        #expect(ChildReference("PX-0001") != nil)
        #expect(ChildReference("px.2026:17") != nil)
        #expect(ChildReference("11010120000101123X") == nil)  // shaped like a resident ID number
        #expect(ChildReference("110101200001011234") == nil)
        #expect(ChildReference("13800000000") == nil)  // digits only: a phone or student number
        #expect(ChildReference("P") == nil)
        #expect(ChildReference("Name Placeholder") == nil)  // no spaces
        #expect(ChildReference("-PX") == nil)
    }

    @Test func lawfulBasisIsEncodedWithItsType() throws {
        let statutory = LawfulBasis.statutoryDuty(law: .minorsProtectionLaw, article: "11")
        let encoded = String(decoding: try BusinessCoding.makeEncoder().encode(statutory), as: UTF8.self)
        #expect(encoded == #"{"article":"11","law":"minors-protection-law","type":"statutory-duty"}"#)
        let emergency = LawfulBasis.emergency(justification: "Made-up: imminent danger to life")
        let again = try BusinessCoding.makeDecoder().decode(
            LawfulBasis.self, from: BusinessCoding.makeEncoder().encode(emergency))
        #expect(again == emergency)
        let unknown = #"{"type":"guardian-consent","consent_ref":"C-1","consent_date":"2026-03-02"}"#
        #expect(
            throws: BusinessBodyError.malformed(path: "type", problem: "must be consent, statutory-duty or emergency")
        ) {
            try BusinessCoding.makeDecoder().decode(LawfulBasis.self, from: Data(unknown.utf8))
        }
        let badArticle = #"{"type":"statutory-duty","law":"minors-protection-law","article":"eleven"}"#
        #expect(throws: BusinessBodyError.self) {
            try BusinessCoding.makeDecoder().decode(LawfulBasis.self, from: Data(badArticle.utf8))
        }
        #expect(LawfulBasis.isArticle("13(3)"))
        #expect(!LawfulBasis.isArticle("13()"))
        #expect(!LawfulBasis.isArticle("1234"))
    }

    /// PIPL Art. 31: under 14 a guardian consents; from 14 the child does (with or without a guardian).
    @Test func consentMustComeFromTheRightPerson() throws {
        var request = try Self.strict(ReferralRequest.self, Self.example(.referralRequest, "valid"))
        let date = try #require(CalendarDate("2026-03-02"))
        let reference = try #require(RecordReference("CONSENT-PX-0001-01"))
        request.lawfulBasis = .consent(givenBy: .child, reference: reference, date: date)
        #expect(
            throws: BusinessBodyError.invalid(
                path: "lawful_basis/given_by", rule: "a child under 14 needs a guardian's consent (PIPL Art. 31)")
        ) { try request.validate() }
        request.ageBand = .from14To17
        try request.validate()
        request.lawfulBasis = .consent(givenBy: .guardian, reference: reference, date: date)
        #expect(throws: BusinessBodyError.self) { try request.validate() }
        request.lawfulBasis = .consent(givenBy: .childAndGuardian, reference: reference, date: date)
        try request.validate()
        request.lawfulBasis = .statutoryDuty(law: .other, article: "5")
        #expect(
            throws: BusinessBodyError.invalid(path: "lawful_basis/citation", rule: "is required when the law is other")
        ) {
            try request.validate()
        }
        request.lawfulBasis = .emergency(justification: "Made-up: immediate danger")
        try request.validate()
    }

    @Test func nullAndUnknownMembersAreRefusedOnlyWhenStrict() throws {
        let withNull = #"{"decision_by":"2026-03-05","service_ref":null}"#
        #expect(throws: BusinessBodyError.unexpectedMember(path: "service_ref")) {
            try BusinessCoding.decode(ReferralReceived.self, from: Array(withNull.utf8))
        }
        #expect(
            try BusinessCoding.decode(ReferralReceived.self, from: Array(withNull.utf8), strict: false).serviceRef
                == nil)
        let nested = #"{"first_contact_by":"2026-03-09","contact":{"unit":"Desk","phone":"0591-1","name":"x"}}"#
        #expect(throws: BusinessBodyError.unexpectedMember(path: "contact/name")) {
            try BusinessCoding.decode(ReferralAccepted.self, from: Array(nested.utf8))
        }
        #expect(throws: BusinessBodyError.notAnObject) {
            try BusinessCoding.decode(ReferralReceived.self, from: Array("[1]".utf8))
        }
        #expect(throws: BusinessBodyError.unknownKind("referral.maybe")) {
            try AnyBusinessBody.decode(kind: "referral.maybe", body: Array("{}".utf8))
        }
    }

    // MARK: - Dates and the follow-up plan

    @Test func calendarDatesAndTimestamps() throws {
        #expect(CalendarDate("2026-02-29") == nil)
        #expect(CalendarDate("2028-02-29") != nil)
        #expect(CalendarDate("20260302") == nil)
        let january31 = try #require(CalendarDate("2026-01-31"))
        #expect(january31.adding(months: 1)?.text == "2026-02-28")
        #expect(january31.adding(days: 30)?.text == "2026-03-02")
        #expect(CalendarDate("1970-01-01")?.daysSinceEpoch == 0)
        #expect(CalendarDate(daysSinceEpoch: 20_454)?.text == "2026-01-01")
        #expect(Timestamp("2026-01-01T08:00:00+08:00")?.millisecondsSinceEpoch == 1_767_225_600_000)
        #expect(Timestamp("2026-01-01T00:00:00Z")?.millisecondsSinceEpoch == 1_767_225_600_000)
        #expect(Timestamp("2026-01-01T00:00:00") == nil)
        #expect(Timestamp("2026-01-01T24:00:00Z") == nil)
        #expect(Timestamp("2026-01-01T00:00:00.5Z") == nil)
    }

    /// 7 days, 30 days, then every 30 days for 6 months: 8 visits. The examples agree with each other: the
    /// visit example is visit 2 of 8, and the escalation example's deadline is visit 2's due date.
    @Test func followUpPlanDueDates() throws {
        let notice = try Self.strict(DischargeNotice.self, Self.example(.dischargeNotice, "valid"))
        let due = notice.visitDueDates.map(\.text)
        #expect(
            due == [
                "2026-05-11", "2026-06-03", "2026-07-03", "2026-08-02", "2026-09-01", "2026-10-01", "2026-10-31",
                "2026-11-30",
            ])
        let visit = try Self.strict(FollowUpVisit.self, Self.example(.followUpVisit, "valid"))
        #expect(visit.visitsPlanned == due.count)
        #expect(visit.planRef == notice.followupPlan.planRef)
        let escalation = try Self.strict(EscalationNotice.self, Self.example(.escalationNotice, "valid"))
        let visitNumber = try #require(escalation.overdue.visitNumber)
        #expect(escalation.deadline.text.hasPrefix(due[visitNumber - 1]))

        let start = try #require(CalendarDate("2026-05-04"))
        let backwards = FollowUpPlanSection(
            planRef: notice.followupPlan.planRef, steps: [.within(days: 30), .within(days: 7)])
        #expect(backwards.dueDates(from: start) == nil)
        #expect(throws: BusinessBodyError.self) { try backwards.validate(startingOn: start, at: "followup_plan") }
        let empty = FollowUpPlanSection(planRef: notice.followupPlan.planRef, steps: [.every(days: 40, months: 1)])
        #expect(empty.dueDates(from: start) == nil)
        let weekly = FollowUpPlanSection(planRef: notice.followupPlan.planRef, steps: [.every(days: 7, months: 1)])
        #expect(weekly.dueDates(from: start)?.map(\.text) == ["2026-05-11", "2026-05-18", "2026-05-25", "2026-06-01"])
        // The wire's rules apply to the body too: daily for four months is more than 100 visits.
        let daily = FollowUpPlanSection(planRef: notice.followupPlan.planRef, steps: [.every(days: 1, months: 4)])
        #expect(throws: FollowUpPlanError(reason: "followup.steps: up to 124 visits, more than 100")) { try daily.plan }
        #expect(daily.dueDates(from: start) == nil)  // the plan is ReferralProtocol's: no schedule for a refused one
        #expect(throws: BusinessBodyError.self) { try daily.validate(startingOn: start, at: "followup_plan") }
    }

    /// The header plan derived from the example body: its steps, the parties with `followup-visits`, its owner.
    @Test func dischargeNoticeGivesTheHeaderPlan() throws {
        let notice = try Self.strict(DischargeNotice.self, Self.example(.dischargeNotice, "valid"))
        let plan = try #require(notice.followUpHeader)
        #expect(plan.steps == [.within(days: 7), .within(days: 30), .every(days: 30, months: 6)])
        #expect(plan.visitsBy == ["test-a", "role:civil-affairs/child-director@350102100201"])
        #expect(plan.owner == "role:civil-affairs/township-supervisor@350102100")
        var noVisits = notice
        noVisits.responsible = noVisits.responsible.map {
            ResponsibleParty(role: $0.role, address: $0.address, duties: [.coordination])
        }
        #expect(noVisits.followUpHeader == nil)
    }

    @Test func redVisitIsCrisisAndNeedsTheAlert() throws {
        var visit = try Self.strict(FollowUpVisit.self, Self.example(.followUpVisit, "valid"))
        visit.risk = .red
        #expect(throws: BusinessBodyError.self) { try visit.validate() }
        visit.nextSteps.append(.crisisAlertSent)
        try visit.validate()
        #expect(visit.requiredPriority == .crisis)
        visit.visitNumber = 9
        #expect(throws: BusinessBodyError.invalid(path: "visit_number", rule: "must be 1 to visits_planned")) {
            try visit.validate()
        }
    }

    /// The sender's check of a whole message, the one the node library runs in `send`.
    @Test func checkMessageTiesTheBodyToTheHeader() throws {
        let body = Array(try Self.example(.referralRequest, "valid"))
        let caseId = "3f2a9c1e-8b4d-4e6f-9a0b-1c2d3e4f5a6b"
        try AnyBusinessBody.checkMessage(
            kind: "referral.request", body: body, to: ["test-b"], caseId: caseId, priority: .urgent)
        #expect(throws: BusinessBodyError.missingCase(.referralRequest)) {
            try AnyBusinessBody.checkMessage(
                kind: "referral.request", body: body, to: ["test-b"], caseId: nil, priority: .urgent)
        }
        #expect(throws: BusinessBodyError.unknownKind("test.note")) {
            try AnyBusinessBody.checkMessage(
                kind: "test.note", body: body, to: ["test-b"], caseId: caseId, priority: .urgent)
        }
    }
}
