import BrokerStore
import CaseCore
import Foundation
import ReferralProtocol
import Testing

@testable import Broker
@testable import BrokerMachine

@Suite struct EscalationHelperTests {
    func temporary(_ json: String, name: String = "policy.json") throws -> String {
        let folder = NSTemporaryDirectory() + "esc-" + UUID().uuidString.prefix(8)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let path = folder + "/" + name
        try Data(json.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test func policyFileIsReadAndSnapshotted() throws {
        var configuration = BrokerConfiguration()
        configuration.escalationPolicyFile = try temporary(
            #"{"version": 1, "levels": {"routine": {"answer": "2s", "repeat": "2s", "clock": "continuous", "max_steps": 3}}}"#
        )
        let settings = try EscalationSettings.load(configuration)
        let policy = settings.policies.policy(for: "referral.request", level: .routine)
        #expect(policy.answerMs == 2_000 && policy.repeatMs == 2_000 && policy.maxSteps == 3)
        #expect(policy.clock == .continuous)
    }

    @Test func badPolicyAndCalendarFilesAreRefusedNamingTheField() throws {
        for json in [#"{"version": 2}"#, #"{"version": 1, "levels": {"routine": {"answr": "2s"}}}"#, "[]"] {
            var configuration = BrokerConfiguration()
            configuration.escalationPolicyFile = try temporary(json)
            #expect(throws: ConfigurationError.self) { try EscalationSettings.load(configuration) }
        }
        var configuration = BrokerConfiguration()
        configuration.calendarFile = try temporary(#"{"holidays": ["2026-10-01"], "extra": []}"#)
        #expect(throws: ConfigurationError.self) { try EscalationSettings.load(configuration) }
        configuration.calendarFile = try temporary(#"{"holidays": ["2026-10-01"], "workdays": ["2026-10-11"]}"#)
        #expect(throws: Never.self) { try EscalationSettings.load(configuration) }
    }

    /// The files are read like the directory and policy files: unknown members and wrong types are named by
    /// their member path, after the file and the configuration field.
    @Test(arguments: [
        (
            #"{"version": 1, "levels": {"routine": {"answr": "2s"}}}"#,
            "escalation_policy_file: levels.routine.answr: unknown key"
        ),
        (
            #"{"version": 1, "levels": {"routine": {"max_steps": "3"}}}"#,
            "escalation_policy_file: levels.routine.max_steps: must be an integer, not a string"
        ),
        (
            #"{"version": 1, "kinds": {"referral.request": {"urgent": {"fan_out": 1}}}}"#,
            "escalation_policy_file: kinds.referral.request.urgent.fan_out: must be true or false, not a number"
        ),
        (
            #"{"version": 1, "kinds": {"crisis.alert": []}}"#,
            "escalation_policy_file: kinds.crisis.alert: must be a JSON object, not an array"
        ),
        (
            #"{"version": 1, "kinds": {"referral.completed": {"routine": {"delivery": "1h"}}}}"#,
            "escalation_policy_file: kinds.referral.completed: sets no deadlines; only crisis.alert,"
                + " discharge.notice, referral.request do"
        ),
        (#"{"version": 1, "level": {}}"#, "escalation_policy_file: level: unknown key"),
        (#"{"version": 2}"#, "escalation_policy_file: version: must be 1; this broker reads version 1 only"),
        (#"[]"#, "escalation_policy_file: must be a JSON object, not an array"),
        ("{\n\"version\": 1,\n}", "escalation_policy_file: not valid JSON (line 3, column 1: expected a member name)"),
        (
            #"{"version": 1, "version": 1}"#,
            "escalation_policy_file: not valid JSON (line 1, column 16: duplicate member name)"
        ),
    ])
    func policyFileFaultsNameTheFileFieldAndMember(json: String, expected: String) throws {
        var configuration = BrokerConfiguration()
        configuration.escalationPolicyFile = try temporary(json)
        let error = try #require(throws: ConfigurationError.self) { try EscalationSettings.load(configuration) }
        #expect(error.description == "\(configuration.escalationPolicyFile): \(expected)")
    }

    @Test(arguments: [
        (#"{"holidays": "2026-10-01"}"#, "calendar_file: holidays: must be an array, not a string"),
        (#"{"holidays": [20261001]}"#, "calendar_file: holidays[0]: must be a string, not a number"),
        (#"{"holidays": [], "extra": []}"#, "calendar_file: extra: unknown key"),
    ])
    func calendarFileFaultsNameTheFileFieldAndMember(json: String, expected: String) throws {
        var configuration = BrokerConfiguration()
        configuration.calendarFile = try temporary(json, name: "calendar.json")
        let error = try #require(throws: ConfigurationError.self) { try EscalationSettings.load(configuration) }
        #expect(error.description == "\(configuration.calendarFile): \(expected)")
    }

    @Test func configurationFileNamesThePolicyAndCalendarFiles() throws {
        let path = try temporary(
            #"{"escalation_policy_file": "esc.json", "calendar_file": "/etc/cal.json"}"#, name: "referrald.json")
        let configuration = try BrokerConfiguration.load(file: path)
        #expect(configuration.escalationPolicyFile.hasSuffix("/esc.json"))
        #expect(configuration.escalationPolicyFile.hasPrefix("/"))
        #expect(configuration.calendarFile == "/etc/cal.json")
    }

    @Test func deadlineRowsRoundTripWithTheSeqFilledIn() throws {
        let snapshot = EscalationPolicies.default.snapshot(for: "referral.request", level: .routine)
        let deadline = Deadline(
            caseId: "c1", armedBy: 0, kind: "referral.request",
            awaited: .answer(kinds: ["referral.received", "referral.accepted", "referral.declined"], from: "clinic-1"),
            due: 5_000, policy: snapshot)
        let row = DeadlineRows.arming(
            deadline, sender: "school-1", messageId: "school-1:000001", region: "350102", agency: "health",
            risk: "routine", now: 1_000)
        // The store names the row after the stored message's seq.
        #expect(row.notice.armedBy == nil && row.item == .text(deadline.awaited.encoded))
        var notice = row.notice
        notice.armedBy = 42
        let record = DeadlineRecord(
            id: 7, caseId: row.caseId, item: deadline.awaited.encoded, dueAt: row.dueAt, level: row.level,
            notice: notice, policy: row.policy, state: .open, createdAt: 1_000, closedAt: nil, region: row.region,
            agency: row.agency, risk: row.risk)
        let stored = try #require(DeadlineRows.read(record))
        #expect(stored.deadline.armedBy == 42 && stored.deadline.originalDue == 5_000)
        #expect(stored.deadline.policy == snapshot && stored.deadline.awaited == deadline.awaited)
        #expect(stored.sender == "school-1" && stored.messageId == "school-1:000001")
        var awaitingDelivery = deadline
        awaitingDelivery.awaited = .delivery(seq: 0, recipient: "clinic-1")
        let delivery = DeadlineRows.arming(
            awaitingDelivery, sender: "school-1", messageId: "m", region: nil, agency: nil, risk: nil, now: 0)
        #expect(delivery.item == .deliveryOfArmingMessage(to: "clinic-1"))
        #expect(
            DeadlineRows.read(
                DeadlineRecord(
                    id: 1, caseId: nil, item: "x", dueAt: 0, level: 0, notice: nil, policy: "p", state: .open,
                    createdAt: nil,
                    closedAt: nil, region: nil, agency: nil, risk: nil)) == nil)
    }

    @Test func answersMeetTheirItemsOnly() {
        #expect(
            Escalation.answeredItems(kind: "referral.declined", sender: "clinic-1")
                == ["answer:clinic-1:referral.accepted,referral.declined,referral.received"])
        #expect(Escalation.answeredItems(kind: "referral.completed", sender: "clinic-1").isEmpty)
        #expect(Escalation.arms(kind: "referral.request", tracked: true))
        #expect(!Escalation.arms(kind: "referral.request", tracked: false))
        #expect(Escalation.arms(kind: "crisis.alert", tracked: false))
    }

    @Test func timestampsAreChinaTime() {
        #expect(Escalation.timestamp(0) == "1970-01-01T08:00:00+08:00")
        #expect(Escalation.timestamp(1_772_415_000_000) == "2026-03-02T09:30:00+08:00")
    }

    @Test func windowFiresInOrderAndAsksAgainWhenStaleOrPast() {
        var window = DeadlineWindow()
        #expect(window.needsRefill(now: 0))
        func record(_ id: Int64, _ due: Int64) -> DeadlineRecord {
            DeadlineRecord(
                id: id, caseId: nil, item: "i", dueAt: due, level: 0, notice: nil, policy: "p", state: .open,
                createdAt: nil,
                closedAt: nil, region: nil, agency: nil, risk: nil)
        }
        window.requested = true
        window.stale = false
        window.filled([record(1, 10), record(2, 20)], before: 100, limit: 1_000)
        #expect(window.nextWakeup == 10)
        #expect(!window.needsRefill(now: 50))
        #expect(window.takeDue(now: 15)?.id == 1)
        #expect(window.takeDue(now: 15) == nil)
        window.noteSet(due: 500)
        #expect(!window.stale)
        window.noteSet(due: 50)
        #expect(window.stale && window.needsRefill(now: 16))
        #expect(DeadlineWindow().needsRefill(now: 0))
        // A full window ends at its last due time.
        window.filled([record(3, 30)], before: 100, limit: 1)
        #expect(window.end == 30 && window.needsRefill(now: 30))
    }
}
