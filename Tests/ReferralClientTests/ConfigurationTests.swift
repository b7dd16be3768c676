import Foundation
import ReferralProtocol
import Testing

@testable import ReferralClient

@Suite struct ConfigurationTests {
    @Test func loadsAFileAndResolvesTheStoreAgainstItsDirectory() throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        let file = try directory.write(
            "test-a.json", #"{"node": "test-a", "broker": "tcp://127.0.0.1:5570", "store": "data/test-a.sqlite"}"#)
        let configuration = try NodeConfiguration.load(path: file)
        #expect(configuration.node == "test-a")
        #expect(configuration.broker == "tcp://127.0.0.1:5570")
        #expect(configuration.store.hasSuffix("/data/test-a.sqlite"))
        #expect(configuration.store.hasPrefix("/"))
        #expect(configuration.window == 64)
        #expect(configuration.reconnectInitialMs == 1000)
        #expect(configuration.reconnectMaxMs == 32000)
        #expect(configuration.heartbeatMs == nil)
        #expect(configuration.welcomeTimeoutMs == 3_000)
    }

    @Test func readsTheOptionalFields() throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        let file = try directory.write(
            "n.json",
            """
            {"node": "test-b", "broker": "ipc:///tmp/x.sock", "store": "/var/lib/x.sqlite", "window": 8,
             "reconnect_initial_ms": 50, "reconnect_max_ms": 200, "heartbeat_ms": 100, "welcome_timeout_ms": 500}
            """)
        let configuration = try NodeConfiguration.load(path: file)
        #expect(configuration.store == "/var/lib/x.sqlite")
        #expect(configuration.window == 8)
        #expect(configuration.reconnectInitialMs == 50)
        #expect(configuration.reconnectMaxMs == 200)
        #expect(configuration.heartbeatMs == 100)
        #expect(configuration.welcomeTimeoutMs == 500)
    }

    /// Loads `json` and returns the error, which must name the file.
    private func failure(_ json: String) throws -> ConfigurationError {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        let file = try directory.write("bad.json", json)
        do {
            _ = try NodeConfiguration.load(path: file)
        } catch let error as ConfigurationError {
            #expect(error.file == file)
            #expect(error.description.contains(file))
            return error
        }
        Issue.record("no error for \(json)")
        return ConfigurationError(reason: "")
    }

    @Test func errorsNameTheField() throws {
        let missing = try failure(#"{"broker": "tcp://127.0.0.1:5570", "store": "a.sqlite"}"#)
        #expect(missing.field == "node")
        #expect(missing.description.hasSuffix(": node: is required"))

        let wrongType = try failure(#"{"node": "test-a", "broker": "tcp://h:1", "store": "a", "window": "64"}"#)
        #expect(wrongType.field == "window")

        let outOfRange = try failure(#"{"node": "test-a", "broker": "tcp://h:1", "store": "a", "window": 0}"#)
        #expect(outOfRange.field == "window")

        let badNode = try failure(#"{"node": "Test A", "broker": "tcp://h:1", "store": "a"}"#)
        #expect(badNode.field == "node")

        let badBroker = try failure(#"{"node": "test-a", "broker": "127.0.0.1:5570", "store": "a"}"#)
        #expect(badBroker.field == "broker")

        let nullStore = try failure(#"{"node": "test-a", "broker": "tcp://h:1", "store": null}"#)
        #expect(nullStore.field == "store")

        let backoff = try failure(
            #"{"node": "test-a", "broker": "tcp://h:1", "store": "a", "reconnect_initial_ms": 500, "reconnect_max_ms": 100}"#
        )
        #expect(backoff.field == "reconnect_max_ms")

        let unknown = try failure(#"{"node": "test-a", "broker": "tcp://h:1", "store": "a", "windw": 3}"#)
        #expect(unknown.field == "windw")
    }

    /// The node's file is read by the strict reader, like every configuration file (issue 9).
    @Test func theFileIsReadByTheStrictReader() throws {
        let twice = try failure(#"{"node": "test-a", "node": "test-b", "broker": "tcp://h:1", "store": "a"}"#)
        #expect(twice.field == nil && twice.reason == "not valid JSON (line 1, column 20: duplicate member name)")
        let fraction = try failure(#"{"node": "test-a", "broker": "tcp://h:1", "store": "a", "window": 6.5}"#)
        #expect(fraction.field == "window" && fraction.reason == "must be an integer, not a number")
        let unknown = try failure(#"{"node": "test-a", "broker": "tcp://h:1", "store": "a", "windw": 3}"#)
        #expect(unknown.description.hasSuffix("bad.json: windw: unknown key"))
    }

    @Test func errorsForTheWholeFile() throws {
        let notJSON = try failure("node = test-a")
        #expect(notJSON.field == nil)
        let notObject = try failure("[1, 2]")
        #expect(notObject.field == nil)
        // A broker's configuration given by mistake is named as such, not as an unknown field.
        let broker = try failure(#"{"endpoint": "tcp://127.0.0.1:5570", "data_directory": "broker"}"#)
        #expect(broker.field == nil && broker.description.contains("is a broker configuration"))

        let missingFile = "/nonexistent-\(UUID().uuidString)/node.json"
        #expect(throws: ConfigurationError.self) { try NodeConfiguration.load(path: missingFile) }
        do {
            _ = try NodeConfiguration.load(path: missingFile)
        } catch let error as ConfigurationError {
            #expect(error.description.contains(missingFile))
        }
    }

    // MARK: - several broker endpoints (1/RBP §11.4)

    @Test func brokerMayListTheEndpointsOfABrokersInstances() throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        let file = try directory.write(
            "test-a.json",
            #"{"node": "test-a", "broker": ["tcp://broker-a:5570", "tcp://broker-b:5570"], "store": "a.sqlite"}"#)
        let configuration = try NodeConfiguration.load(path: file)
        #expect(configuration.endpoints == ["tcp://broker-a:5570", "tcp://broker-b:5570"])
        #expect(configuration.broker == "tcp://broker-a:5570")
        let one = try directory.write("one.json", #"{"node": "test-a", "broker": ["ipc:///tmp/b"], "store": "a"}"#)
        #expect(try NodeConfiguration.load(path: one).endpoints == ["ipc:///tmp/b"])
        let eight = (1...8).map { "\"tcp://broker-\($0):5570\"" }.joined(separator: ",")
        let most = try directory.write("eight.json", #"{"node": "test-a", "broker": [\#(eight)], "store": "a"}"#)
        #expect(try NodeConfiguration.load(path: most).endpoints.count == NodeConfiguration.maximumEndpoints)
    }

    @Test func aBadEndpointListIsAnErrorNamingTheField() throws {
        let empty = try failure(#"{"node": "test-a", "broker": [], "store": "a"}"#)
        #expect(empty.field == "broker")
        #expect(empty.reason.contains("1 to 8 endpoints"))

        let nine = (1...9).map { "\"tcp://broker-\($0):5570\"" }.joined(separator: ",")
        let tooMany = try failure(#"{"node": "test-a", "broker": [\#(nine)], "store": "a"}"#)
        #expect(tooMany.field == "broker")
        #expect(tooMany.reason.contains("has 9"))

        let notEndpoint = try failure(#"{"node": "test-a", "broker": ["tcp://a:1", "broker-b:5570"], "store": "a"}"#)
        #expect(notEndpoint.field == "broker[1]")
        #expect(notEndpoint.reason.contains("ZeroMQ endpoint"))

        let notString = try failure(#"{"node": "test-a", "broker": ["tcp://a:1", 5570], "store": "a"}"#)
        #expect(notString.field == "broker[1]")
        #expect(notString.reason == "must be a string, not a number")

        let repeated = try failure(
            #"{"node": "test-a", "broker": ["tcp://a:1", "tcp://b:1", "tcp://a:1"], "store": "a"}"#)
        #expect(repeated.field == "broker[2]")
        #expect(repeated.reason.contains("repeats broker[0]"))

        let object = try failure(#"{"node": "test-a", "broker": {"a": "tcp://a:1"}, "store": "a"}"#)
        #expect(object.field == "broker")
        #expect(object.reason.contains("an array of strings"))

        let null = try failure(#"{"node": "test-a", "broker": null, "store": "a"}"#)
        #expect(null.field == "broker")
        let missing = try failure(#"{"node": "test-a", "store": "a"}"#)
        #expect(missing.field == "broker" && missing.reason == "is required")
    }

    /// Code written for one endpoint keeps compiling and meaning the same; `endpoints` sits beside it.
    @Test func theProgrammaticConfigurationTakesOneEndpointOrSeveral() throws {
        var single = NodeConfiguration(node: "test-a", broker: "tcp://a:1", store: "/tmp/a.sqlite")
        #expect(single.endpoints == ["tcp://a:1"])
        single.broker = "tcp://b:1"
        #expect(single.endpoints == ["tcp://b:1"])
        try single.validate()

        var several = NodeConfiguration(
            node: "test-a", endpoints: ["tcp://a:1", "tcp://b:1"], store: "/tmp/a.sqlite", reconnectInitialMs: 50)
        #expect(several.broker == "tcp://a:1")
        #expect(several.reconnectInitialMs == 50)
        try several.validate()
        several.endpoints = []
        #expect(
            throws: ConfigurationError(
                file: "<configuration>", field: "broker",
                reason: "must be the broker's endpoint, or a list of 1 to 8 endpoints of its instances (this one has 0)"
            )
        ) { try several.validate() }
    }
}
