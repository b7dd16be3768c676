import Broker
import Foundation
import Testing

@Suite struct ConfigurationTests {
    let folder: String

    init() throws {
        folder = NSTemporaryDirectory() + "referrald-config-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    }

    func write(_ json: String) -> String {
        let path = folder + "/referrald.json"
        FileManager.default.createFile(atPath: path, contents: Data(json.utf8))
        return path
    }

    func problem(_ json: String) -> String? {
        let path = write(json)
        do {
            let configuration = try BrokerConfiguration.load(file: path)
            try configuration.validate(source: path)
            return nil
        } catch {
            return "\(error)"
        }
    }

    @Test func defaultsAreLoopbackAndPathsResolveAgainstTheFile() throws {
        let path = write(#"{"data_directory": "store", "admin_endpoint": "ipc://admin.sock"}"#)
        let configuration = try BrokerConfiguration.load(file: path)
        try configuration.validate(source: path)
        #expect(configuration.endpoint == "tcp://127.0.0.1:5570")
        #expect(configuration.dataDirectory == folder + "/store")
        #expect(configuration.resolvedAdminEndpoint == "ipc://" + folder + "/admin.sock")
        #expect(configuration.storePath == folder + "/store/broker.sqlite")
    }

    @Test func errorsNameTheFileAndTheField() {
        let agency = problem(
            #"{"nodes": [{"id": "ok-1", "agency": "health", "name": "A"}, {"id": "ok-2", "agency": "heath", "name": "B"}]}"#)
        #expect(agency?.contains("nodes[1].agency") == true)
        #expect(agency?.contains("referrald.json") == true)
        #expect(problem(#"{"heartbeat_msec": 5}"#)?.contains("heartbeat_msec: is not a known setting") == true)
        #expect(problem(#"{"heartbeat_ms": "fast"}"#)?.contains("heartbeat_ms: must be an integer") == true)
        #expect(problem(#"{"redelivery": {"max_attempts": 0}}"#)?.contains("redelivery.max_attempts") == true)
        #expect(problem(#"{"nodes": [{"id": "Bad Id", "agency": "health", "name": "A"}]}"#)?.contains("nodes[0].id") == true)
        #expect(problem(#"{"nodes": [{"id": "x", "agency": "health"}]}"#)?.contains("nodes[0].name: is required") == true)
        #expect(problem(#"{"admin_endpoint": "tcp://127.0.0.1:9"}"#)?.contains("admin_endpoint") == true)
        #expect(problem("not json")?.contains("is not valid JSON") == true)
    }

    @Test func environmentOverridesTheFileAndFlagsOverrideTheEnvironment() throws {
        let path = write(#"{"endpoint": "tcp://127.0.0.1:6000", "log_level": "info"}"#)
        var configuration = try BrokerConfiguration.load(file: path)
        try configuration.applyEnvironment(["REFERRALD_ENDPOINT": "tcp://127.0.0.1:6001", "REFERRALD_LOG_LEVEL": "debug"])
        #expect(configuration.endpoint == "tcp://127.0.0.1:6001")
        try configuration.set("endpoint", to: "tcp://127.0.0.1:6002", source: "command line")
        #expect(configuration.endpoint == "tcp://127.0.0.1:6002")
        #expect(configuration.logLevel == "debug")
        #expect(throws: ConfigurationError.self) {
            try configuration.applyEnvironment(["REFERRALD_HEARTBEAT_MS": "soon"])
        }
    }

    @Test func theDevSetupIsValid() throws {
        try DevSetup.write(directory: folder + "/dev")
        let path = folder + "/dev/referrald.json"
        let configuration = try BrokerConfiguration.load(file: path)
        try configuration.validate(source: path)
        #expect(configuration.nodes.map(\.id).contains("demo-school"))
        #expect(FileManager.default.fileExists(atPath: folder + "/dev/nodes/demo-hospital.json"))
    }
}
