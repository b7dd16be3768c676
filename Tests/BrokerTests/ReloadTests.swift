import Foundation
import Testing

@testable import Broker
@testable import BrokerMachine

/// What a reload reads (SIGHUP, ADMIN RELOAD): the directory, the escalation policy and the calendar, all or
/// nothing. Uses the example directory of deploy/ and made-up policy files.
@Suite struct ReloadTests {
    func temporary(_ json: String, name: String) throws -> String {
        let folder = NSTemporaryDirectory() + "reload-" + UUID().uuidString.prefix(8)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let path = folder + "/" + name
        try Data(json.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    func configuration() -> BrokerConfiguration {
        var configuration = BrokerConfiguration()
        configuration.directoryFile = DeployExamplesTests.deploy + "/directory.example.json"
        return configuration
    }

    @Test func everythingLoadsTogether() throws {
        var configuration = configuration()
        configuration.escalationPolicyFile = try temporary(
            #"{"version": 1, "levels": {"routine": {"answer": "2s"}}}"#, name: "escalation.json")
        configuration.calendarFile = try temporary(#"{"holidays": ["2026-10-01"]}"#, name: "calendar.json")
        let divisions = try Jurisdiction.divisions(configuration)
        let loaded = try StartupFiles.reloadable(configuration, divisions: divisions).get()
        #expect(loaded.jurisdiction.directory.allEntries.count == 3)
        #expect(loaded.escalation.policies.policy(for: "referral.request", level: .routine).answerMs == 2_000)
        #expect(loaded.escalation.policies.revision != "default")
    }

    @Test func oneBrokenFileRefusesAllNamingEveryBrokenFileAndField() throws {
        var configuration = configuration()
        configuration.escalationPolicyFile = try temporary(
            #"{"version": 1, "levels": {"routine": {"answer": "soon"}}}"#, name: "escalation.json")
        let divisions = try Jurisdiction.divisions(configuration)
        guard case .failure(let refusal) = StartupFiles.reloadable(configuration, divisions: divisions) else {
            Issue.record("a broken policy file was loaded")
            return
        }
        #expect(refusal.problems.count == 1)
        #expect(refusal.description.contains(configuration.escalationPolicyFile))
        #expect(refusal.description.contains("escalation_policy_file"))
        #expect(refusal.description.contains("levels.routine"))

        configuration.directoryFile = try temporary(#"{"version": 1, "nodes": "none"}"#, name: "directory.json")
        configuration.calendarFile = try temporary(#"{"holidays": ["someday"]}"#, name: "calendar.json")
        guard case .failure(let both) = StartupFiles.reloadable(configuration, divisions: divisions) else {
            Issue.record("broken files were loaded")
            return
        }
        // The directory, then the escalation settings (the first of whose files to fail stops that loader).
        #expect(both.problems.count == 2)
        #expect(both.description.contains("directory_file") && both.description.contains("escalation_policy_file"))
    }
}
