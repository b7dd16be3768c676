import Broker
import Foundation
import ReferralProtocol
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
        let path = write(
            #"{"data_directory": "store", "admin_endpoint": "ipc://admin.sock", "curve": {"secret_key_file": "keys/broker.key"}}"#)
        let configuration = try BrokerConfiguration.load(file: path)
        try configuration.validate(source: path)
        #expect(configuration.endpoint == "tcp://127.0.0.1:5570")
        #expect(configuration.dataDirectory == folder + "/store")
        #expect(configuration.resolvedAdminEndpoint == "ipc://" + folder + "/admin.sock")
        #expect(configuration.storePath == folder + "/store/broker.sqlite")
        #expect(configuration.directoryFile == folder + "/directory.json")
        #expect(configuration.curveSecretKeyFile == folder + "/keys/broker.key")
        #expect(!configuration.insecurePlaintext)
    }

    @Test func errorsNameTheFileAndTheField() {
        let curve = #""curve": {"secret_key_file": "k"}"#
        #expect(problem("{}")?.contains("curve.secret_key_file: is required") == true)
        #expect(problem(#"{"insecure_plaintext": true}"#) == nil)
        #expect(problem(#"{"heartbeat_msec": 5}"#)?.contains("heartbeat_msec: unknown key") == true)
        #expect(problem(#"{"heartbeat_ms": "fast", \#(curve)}"#)?.contains("heartbeat_ms: must be an integer") == true)
        #expect(problem(#"{"redelivery": {"max_attempts": 0}, \#(curve)}"#)?.contains("redelivery.max_attempts") == true)
        #expect(problem(#"{"rate_limit": {"burst": 0}, \#(curve)}"#)?.contains("rate_limit.burst") == true)
        #expect(problem(#"{"delivery_memory": 0, \#(curve)}"#)?.contains("delivery_memory: must be 1...1000000") == true)
        #expect(problem(#"{"receipt_memory": -1, \#(curve)}"#)?.contains("receipt_memory: must be 1...1000000") == true)
        #expect(problem(#"{"delivery_memory": 4, "receipt_memory": 3, \#(curve)}"#) == nil)
        #expect(problem(#"{"curve": {"secret_key": "x"}}"#)?.contains("curve.secret_key: unknown key") == true)
        #expect(problem(#"{"insecure_plaintext": "yes"}"#)?.contains("insecure_plaintext: must be true or false") == true)
        #expect(problem(#"{"admin_endpoint": "tcp://127.0.0.1:9", \#(curve)}"#)?.contains("admin_endpoint") == true)
        #expect(problem("not json")?.hasSuffix("referrald.json: not valid JSON (line 1, column 1: invalid literal)") == true)
    }

    /// Retention: production periods by default (days, in ms), 0 keeps a class forever, each error names its field.
    @Test func retentionHasProductionDefaultsZeroKeepsForeverAndErrorsNameTheField() throws {
        let curve = #""curve": {"secret_key_file": "k"}"#
        let defaults = try BrokerConfiguration.load(file: write("{\(curve)}"))
        #expect(defaults.retention.closedCaseBodyMs == 90 * 86_400_000)
        #expect(defaults.retention.caselessBodyMs == 30 * 86_400_000)
        #expect(defaults.retention.deadLetterBodyMs == 30 * 86_400_000)
        #expect(defaults.retention.purgeIntervalMs == 3_600_000 && defaults.retention.purgeBatch == 500)
        let path = write(
            #"{"retention": {"closed_case_body_ms": 0, "caseless_body_ms": 500, "purge_interval_ms": 200}, \#(curve)}"#)
        let configured = try BrokerConfiguration.load(file: path)
        try configured.validate(source: path)
        #expect(configured.retention.closedCaseBodyMs == 0 && configured.retention.caselessBodyMs == 500)
        #expect(problem(#"{"retention": {"caseless_body_ms": -1}, \#(curve)}"#)?.contains(
            "retention.caseless_body_ms: must be 0 (keep forever)") == true)
        #expect(problem(#"{"retention": {"purge_batch": 0}, \#(curve)}"#)?.contains("retention.purge_batch") == true)
        #expect(problem(#"{"retention": {"purge_interval_ms": 10}, \#(curve)}"#)?.contains(
            "retention.purge_interval_ms: must be 100...86400000") == true)
        #expect(problem(#"{"retention": {"closed_case_days": 90}, \#(curve)}"#)?.contains(
            "retention.closed_case_days: unknown key") == true)
    }

    /// referrald.json is read by the strict reader, like every configuration file (issue 9): a key given twice,
    /// a null or a fraction where an integer belongs are refused, each naming the file, the key and the problem.
    @Test(arguments: [
        (#"{"log_level": "info", "log_level": "debug"}"#, "not valid JSON (line 1, column 23: duplicate member name)"),
        (#"{"ready_file": null}"#, "ready_file: must be a string, not null"),
        (#"{"heartbeat_ms": 5000.5}"#, "heartbeat_ms: must be an integer, not a number"),
        (#"{"redelivery": {"max_ms": 1, "maxms": 2}}"#, "redelivery.maxms: unknown key"),
        (#"{"limits": []}"#, "limits: must be a JSON object, not an array"),
        (#"[]"#, "must be a JSON object, not an array"),
    ])
    func theFileIsReadByTheStrictReader(json: String, expected: String) throws {
        let path = write(json)
        let error = try #require(throws: ConfigurationError.self) { try BrokerConfiguration.load(file: path) }
        #expect(error.description == "\(path): \(expected)")
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

    /// Paths from flags and the environment are relative to the working directory and made absolute at once, so
    /// the admin socket's path means the same to referralctl wherever it runs (issue 8, item 16).
    @Test func relativeOverridesBecomeAbsolute() throws {
        var configuration = try BrokerConfiguration.load(file: write(#"{}"#))
        let cwd = URL(fileURLWithPath: FileManager.default.currentDirectoryPath).standardizedFileURL.path
        try configuration.set("admin_endpoint", to: "ipc://run/admin.sock", source: "command line")
        #expect(configuration.resolvedAdminEndpoint == "ipc://\(cwd)/run/admin.sock")
        configuration.adminEndpoint = ""
        try configuration.set("data_directory", to: "store", source: "command line")
        #expect(configuration.resolvedAdminEndpoint == "ipc://\(cwd)/store/admin.sock")
    }

    @Test func theDevSetupIsValidAndItsSecretKeysArePrivate() throws {
        try DevSetup.write(directory: folder + "/dev")
        let path = folder + "/dev/referrald.json"
        let configuration = try BrokerConfiguration.load(file: path)
        try configuration.validate(source: path)
        #expect(!configuration.insecurePlaintext)
        #expect(FileManager.default.fileExists(atPath: folder + "/dev/directory.json"))
        #expect(FileManager.default.fileExists(atPath: folder + "/dev/nodes/gl-school-1.json"))
        let attributes = try FileManager.default.attributesOfItem(atPath: configuration.curveSecretKeyFile)
        #expect((attributes[.posixPermissions] as? Int).map { $0 & 0o077 } == 0)
    }
}
