import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

extension DaemonSuite {
    /// The OpenAPI document against the running gateway (issue 11): schemathesis, a property-based API tester
    /// (scripts/setup installs it), generates requests from protocols/GATEWAY-1.openapi.json as the gateway serves
    /// it and checks every answer; and the client examples of docs/examples run against the same live gateway.
    /// The real broker and a real `referral-gateway` on loopback, with a token. Made-up data only.
    @Suite("Gateway: the document against the live gateway")
    struct GatewayAPITesterTests {
        static let token = "made-up-token-apitest-0123456789"

        /// One gateway hosting test-a and test-b (with an application whose token may do anything), ready (both nodes have a session).
        static func gateway(_ h: Harness) async throws -> GatewayProcess {
            let applications = "\(h.directory)/gateway.applications.json"
            try GatewayApplication.write([GatewayApplication(name: "apitest", token: token)], to: applications)
            let gateway = try await GatewayProcess.launch(
                h, name: "gateway", nodes: ["test-a", "test-b"], extra: ["applications_file": applications])
            try await h.eventually("\(gateway.url)/ready answers 200 (both nodes have a session)") {
                try await GatewayHTTP.call("GET", gateway.url + "/ready", token: Self.token).status == 200
            }
            return gateway
        }

        /// Every operation, with examples, coverage (boundary and invalid values), random and stateful requests:
        /// no answer is a 5xx and every answer matches the document's schema for its status. The `wait` of the
        /// long polls is fixed at 0: a generated 30 s wait per request would make the run minutes long (the long
        /// poll itself is tested by GatewayTests); it also makes each events stream end at once (without it the
        /// stream stays open; GatewayEventsTests tests the open stream).
        @Test func schemathesisFindsNoServerErrorAndNoSchemaMismatch() async throws {
            try await withDaemon { h in
                let gateway = try await Self.gateway(h)
                let config = "\(h.directory)/schemathesis.toml"
                try Data("[parameters]\n\"query.wait\" = 0\n".utf8).write(to: URL(fileURLWithPath: config))
                let arguments = [
                    // In the test directory: nothing written in the package.
                    "-C", h.directory, "python3", "-m", "schemathesis.cli", "--config-file", config, "--no-color",
                    "run", gateway.url + "/openapi.json", "--url", gateway.url,
                    "--checks", "not_a_server_error,response_schema_conformance",
                    "--header", "Authorization: Bearer \(Self.token)",
                    "--max-examples", "10", "--seed", "11", "--generation-database", "none", "--workers", "1",
                    "--request-timeout", "20",
                ]
                let started = ContinuousClock.now
                let (status, output) = try await Tool.run("/usr/bin/env", arguments, seconds: 100)
                h.expect(status == 0, "schemathesis found failures (exit \(status)):\n\(output)")
                let summary = output.split(separator: "\n").filter { $0.contains("generated") || $0.contains(" in ") }
                print("schemathesis (\(ContinuousClock.now - started)): \(summary.suffix(2).joined(separator: " / "))")
                h.expect(output.contains("Open API 3.1.0"), "schemathesis did not load the document:\n\(output)")
                h.expect(!gateway.log.contains("PX-0001"), "a request body reached the gateway's log")
                h.expect(try await gateway.terminate() == 0, "the gateway did not stop cleanly: \(gateway.log)")
            }
        }

        /// A client asking to upgrade to HTTP/2 (curl --http2 here, the JDK's HttpClient by default) is answered
        /// over HTTP/1.1 with `Connection: close`, and its next request (on a new connection) is answered too:
        /// without it NIO's decoder reads nothing more from the first connection and the client waits for ever.
        @Test func aClientAskingToUpgradeIsNotLeftWaiting() async throws {
            guard let curl = Tool.find("curl") else { return }
            try await withDaemon { h in
                let gateway = try await Self.gateway(h)
                let (status, output) = try await Tool.run(
                    curl,
                    [
                        "-s", "--http2", "--max-time", "10", "-o", "/dev/null", "-o", "/dev/null", "-w",
                        "%{http_code} %{http_version}\n", gateway.url + "/health", gateway.url + "/openapi.json",
                    ])
                h.expect(status == 0 && output == "200 1.1\n200 1.1\n", "exit \(status): \(output)")
            }
        }

        /// docs/examples/gateway_client.py (Python requests) and docs/examples/GatewayClient.java (the JDK's
        /// HttpClient, run from source when a JDK is installed) each send a referral from test-a to test-b, take
        /// it from test-b's inbox, complete it, and read its status.
        @Test func theClientExamplesRunAgainstTheLiveGateway() async throws {
            try await withDaemon { h in
                let gateway = try await Self.gateway(h)
                let examples = Locations.packageRoot.appendingPathComponent("docs/examples").path
                let clientArguments = [gateway.url, Self.token, "test-a", "test-b"]
                var runs = [("python", ["python3", "\(examples)/gateway_client.py"] + clientArguments)]
                if Tool.find("java") != nil {
                    runs.append(("java", ["java", "\(examples)/GatewayClient.java"] + clientArguments))
                }
                for (name, arguments) in runs {
                    let (status, output) = try await Tool.run("/usr/bin/env", ["-C", h.directory] + arguments)
                    h.expect(status == 0, "the \(name) example failed (exit \(status)):\n\(output)")
                    let lines = output.split(separator: "\n")
                    guard let id = lines.first?.split(separator: " ").dropFirst().first?.dropLast() else {
                        h.fail("the \(name) example printed nothing:\n\(output)")
                        continue
                    }
                    h.expect(lines.first?.hasSuffix("accepted") == true, "\(name): \(output)")
                    h.expect(lines.contains { $0 == "stored \(id) from test-a" }, "\(name): \(output)")
                    h.expect(lines.last == "status \(id): accepted", "\(name): \(output)")
                    // Completed: nothing is handed out again.
                    let inbox = try await GatewayHTTP.call(
                        "GET", gateway.url + "/v1/nodes/test-b/inbox?wait=0", token: Self.token)
                    h.expect((inbox.json["messages"] as? [Any])?.isEmpty == true, "\(name): \(inbox)")
                }
            }
        }
    }
}

/// The client examples of docs/examples are valid programs: the Python one compiles (py_compile), the Java one
/// compiles with javac (when a JDK is installed).
@Suite("Gateway: client examples") struct GatewayExamplesTests {
    @Test func thePythonExampleCompiles() async throws {
        let file = Locations.packageRoot.appendingPathComponent("docs/examples/gateway_client.py").path
        // compile() only: py_compile would write a .pyc next to the file.
        let check = "import sys; compile(open(sys.argv[1]).read(), sys.argv[1], 'exec'); print('compiles')"
        let (status, output) = try await Tool.run("/usr/bin/env", ["python3", "-c", check, file])
        #expect(status == 0 && output.contains("compiles"), "\(output)")
    }

    @Test func theJavaExampleCompiles() async throws {
        guard let javac = Tool.find("javac") else { return }
        let folder = try Tool.temporaryFolder("javac")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let file = Locations.packageRoot.appendingPathComponent("docs/examples/GatewayClient.java").path
        let (status, output) = try await Tool.run(javac, ["-Xlint:all", "-Werror", "-d", folder, file])
        #expect(status == 0, "\(output)")
    }

    /// docs/GATEWAY.md points integrators at both examples.
    @Test func theGuideReferencesTheExamples() throws {
        let guide = try String(
            contentsOf: Locations.packageRoot.appendingPathComponent("docs/GATEWAY.md"), encoding: .utf8)
        #expect(guide.contains("examples/GatewayClient.java") && guide.contains("examples/gateway_client.py"))
    }
}
