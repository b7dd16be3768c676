import Foundation
import ReferralProtocol
import Testing

@testable import ReferralClient

/// The admin endpoint is found from the broker's configuration file wherever the command runs (issue 8, item 16).
@Suite struct AdminEndpointTests {
    @Test func relativePathsResolveAgainstTheConfigurationFile() throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        try FileManager.default.createDirectory(atPath: directory.file("dev"), withIntermediateDirectories: true)
        let explicit = try directory.write("dev/explicit.json", #"{"admin_endpoint": "ipc://admin.sock"}"#)
        let byData = try directory.write("dev/data.json", #"{"data_directory": "broker"}"#)
        let byDefault = try directory.write("dev/default.json", #"{"endpoint": "tcp://127.0.0.1:5570"}"#)
        let absolute = try directory.write("dev/absolute.json", #"{"admin_endpoint": "ipc:///run/r/admin.sock"}"#)
        let root = URL(fileURLWithPath: directory.path).standardizedFileURL.path
        #expect(try AdminEndpoint.fromBrokerConfiguration(path: explicit) == "ipc://\(root)/dev/admin.sock")
        #expect(try AdminEndpoint.fromBrokerConfiguration(path: byData) == "ipc://\(root)/dev/broker/admin.sock")
        #expect(
            try AdminEndpoint.fromBrokerConfiguration(path: byDefault) == "ipc://\(root)/dev/data/broker/admin.sock")
        #expect(try AdminEndpoint.fromBrokerConfiguration(path: absolute) == "ipc:///run/r/admin.sock")
        #expect(throws: ConfigurationError.self) {
            try AdminEndpoint.fromBrokerConfiguration(path: directory.file("none"))
        }
    }

    /// The broker's file is read by the strict reader: a wrong type names the file and the key (issue 9).
    @Test func aWrongTypeNamesTheFileAndTheKey() throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        let file = try directory.write("referrald.json", #"{"data_directory": 7}"#)
        #expect(throws: ConfigurationError(file: file, field: "data_directory", reason: "must be a string, not a number")) {
            try AdminEndpoint.fromBrokerConfiguration(path: file)
        }
    }

    /// A referralctl built in a checkout finds that checkout's development broker (data/dev/referrald.json).
    @Test func developmentDefaultIsTheCheckoutsDevSetup() throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        let root = URL(fileURLWithPath: directory.path).standardizedFileURL.path
        let executable = "\(root)/.build/x86_64-unknown-linux-gnu/debug/referralctl"
        #expect(AdminEndpoint.developmentDefault(executablePath: executable) == nil)
        try FileManager.default.createDirectory(atPath: directory.file("data/dev"), withIntermediateDirectories: true)
        _ = try directory.write("data/dev/referrald.json", #"{"admin_endpoint": "ipc://admin.sock"}"#)
        #expect(AdminEndpoint.developmentDefault(executablePath: executable) == "ipc://\(root)/data/dev/admin.sock")
        #expect(AdminEndpoint.developmentDefault(executablePath: "/usr/local/bin/referralctl") == nil)
    }
}
