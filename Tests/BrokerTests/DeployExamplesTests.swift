import Foundation
import Testing

@testable import Broker
@testable import BrokerMachine

/// The documented examples in deploy/ must stay loadable: operators copy them.
@Suite struct DeployExamplesTests {
    static let deploy = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("deploy").path

    @Test func theExampleBrokerConfigurationIsValidAndUsesCurve() throws {
        let path = Self.deploy + "/referrald.example.json"
        let configuration = try BrokerConfiguration.load(file: path)
        try configuration.validate(source: path)
        #expect(!configuration.insecurePlaintext)
        #expect(!configuration.curveSecretKeyFile.isEmpty)
    }

    /// The PostgreSQL example loads and validates; its password is named by a file, never written in it.
    @Test func thePostgreSQLExampleIsValid() throws {
        let path = Self.deploy + "/referrald-postgresql.example.json"
        let configuration = try BrokerConfiguration.load(file: path)
        try configuration.validate(source: path)
        #expect(configuration.instance == "broker-a")
        guard case .postgresql(let database, _) = configuration.store.backend else {
            Issue.record("the example is not on PostgreSQL")
            return
        }
        #expect(database.hosts.count == 3 && database.tls == .verifyFull && !database.passwordFile.isEmpty)
    }

    @Test func theExampleDirectoryLoads() throws {
        var configuration = BrokerConfiguration()
        configuration.directoryFile = Self.deploy + "/directory.example.json"
        let jurisdiction = try Jurisdiction.load(configuration, divisions: try Jurisdiction.divisions(configuration))
        #expect(jurisdiction.directory.allEntries.count == 3)
        #expect(jurisdiction.entry("example-clinic-001")?.isActive == true)
    }
}
