import Foundation
import ReferralClient
import ReferralProtocol
import Testing

#if canImport(Glibc)
    import Glibc
#endif

extension DaemonSuite {
    /// The node gateway (issue 11, GATEWAY-1) end to end: the real broker and two real `referral-gateway`
    /// processes on loopback, driven over HTTP only. Made-up data only.
    @Suite("Gateway: HTTP end to end")
    struct GatewayTests {
        static let caseId = "0b7e6a52-3c1d-4f8e-9a2b-5d6c7e8f9a01"
        static let token = "made-up-token-0123456789abcdef"
        /// Gateway B's inbox lease: long enough for the "handed out once" poll, short enough to see it run out.
        static let leaseMs = 5_000

        /// The made-up body of protocols/business/examples/referral.request.valid.json (risk orange: urgent).
        static func referralBody(summary: String? = nil) throws -> [String: Any] {
            let url = Locations.packageRoot.appendingPathComponent(
                "protocols/business/examples/referral.request.valid.json")
            var body = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any] ?? [:]
            if let summary { body["summary"] = summary }
            return body
        }

        static func request(
            id: String, to: [String] = ["test-b"], kind: String = "referral.request", body: [String: Any]
        ) throws -> [UInt8] {
            let object: [String: Any] = [
                "id": id, "kind": kind, "to": to, "case": caseId, "priority": "urgent", "body": body,
            ]
            return Array(try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]))
        }

        /// Gateway A (test-a, with an application whose token may do anything, and a small body limit) and gateway B (test-b, loopback without a token).
        static func gateways(_ h: Harness) async throws -> (a: GatewayProcess, b: GatewayProcess) {
            let applications = "\(h.directory)/gateway-a.applications.json"
            try GatewayApplication.write([GatewayApplication(name: "test-a-system", token: token)], to: applications)
            let a = try await GatewayProcess.launch(
                h, name: "gateway-a", nodes: ["test-a"],
                extra: ["applications_file": applications, "max_body_bytes": 4096])
            let b = try await GatewayProcess.launch(
                h, name: "gateway-b", nodes: ["test-b"], extra: ["inbox_lease_ms": Self.leaseMs])
            for (gateway, token) in [(a, Optional(token)), (b, nil)] {
                try await h.eventually("\(gateway.url)/ready answers 200 (its node has a session)") {
                    try await GatewayHTTP.call("GET", gateway.url + "/ready", token: token).status == 200
                }
            }
            return (a, b)
        }

        /// A referral sent through A reaches B's long poll once; B completes it; A's status shows the receipt.
        /// Sending the same request again answers the same and makes no second broker message; the same id with
        /// other content is 409. Both gateways stop cleanly on SIGTERM.
        @Test func aReferralThroughTwoGateways() async throws {
            try await withDaemon { h in
                let (a, b) = try await Self.gateways(h)
                let send = "\(a.url)/v1/nodes/test-a/messages?wait=15"
                let id = "test-a:gw-000001"
                let request = try Self.request(id: id, body: try Self.referralBody())

                let sent = try await GatewayHTTP.call("POST", send, body: request, token: Self.token)
                h.expect(sent.status == 201, "send: \(sent)")
                h.expect(sent.json["status"] as? String == "accepted", "send: \(sent)")
                let seq = sent.json["seq"] as? Int
                h.expect(seq != nil, "no seq: \(sent)")

                let inbox = "\(b.url)/v1/nodes/test-b/inbox"
                let taken = try await GatewayHTTP.call("GET", inbox + "?wait=20&max=10")
                let messages = taken.json["messages"] as? [[String: Any]] ?? []
                try h.require(taken.status == 200 && messages.count == 1, "B's inbox: \(taken)")
                let message = messages[0]
                h.expect(message["id"] as? String == id && message["from"] as? String == "test-a", "\(message)")
                h.expect(message["kind"] as? String == "referral.request", "\(message)")
                h.expect((message["body"] as? [String: Any])?["child_ref"] as? String == "PX-0001", "\(message)")
                let handle = try h.unwrap(message["handle"] as? String, "no handle: \(message)")

                // Handed out once: the next poll does not see it while its lease runs.
                let again = try await GatewayHTTP.call("GET", inbox + "?wait=0.5")
                h.expect((again.json["messages"] as? [Any])?.isEmpty == true, "handed out twice: \(again)")

                // Not completed: once its lease runs out it is handed out again, same handle (at least once).
                try await h.eventually("the uncompleted message is handed out again", timeout: .seconds(30)) {
                    let poll = try await GatewayHTTP.call("GET", inbox + "?wait=1")
                    return (poll.json["messages"] as? [[String: Any]])?.first?["handle"] as? String == handle
                }

                let complete = "\(inbox)/\(handle)/complete"
                let done = try await GatewayHTTP.call("POST", complete)
                h.expect(done.status == 204, "complete: \(done)")
                h.expect(try await GatewayHTTP.call("POST", complete).status == 204, "completing again is not 204")

                let status = "\(a.url)/v1/nodes/test-a/messages/\(id)"
                try await h.eventually("A's status shows B's receipt") {
                    let answer = try await GatewayHTTP.call("GET", status, token: Self.token)
                    let receipts = answer.json["receipts"] as? [[String: Any]] ?? []
                    return answer.status == 200
                        && receipts.contains {
                            $0["recipient"] as? String == "test-b" && $0["outcome"] as? String == "delivered"
                        }
                }

                // Idempotency: the same POST answers the same; the broker has one message (B gets nothing new).
                let repeated = try await GatewayHTTP.call("POST", send, body: request, token: Self.token)
                h.expect(repeated.status == 201, "repeat: \(repeated)")
                h.expect(repeated.json["seq"] as? Int == seq && repeated.json["id"] as? String == id, "\(repeated)")
                // Nothing is left in B's inbox either (the completed message is not handed out after its lease).
                let nothing = try await GatewayHTTP.call("GET", inbox + "?wait=\(Self.leaseMs / 1000 + 1)")
                h.expect((nothing.json["messages"] as? [Any])?.isEmpty == true, "a second copy reached B: \(nothing)")

                let other = try Self.request(id: id, body: try Self.referralBody(summary: "Made-up: other content."))
                let conflict = try await GatewayHTTP.call("POST", send, body: other, token: Self.token)
                h.expect(conflict.status == 409, "other content, same id: \(conflict)")
                h.expect(conflict.contentType == "application/problem+json", "\(conflict)")
                h.expect(
                    conflict.json["type"] as? String == "urn:referral-gateway:problem:conflicting-id", "\(conflict)")

                h.expect(try await a.terminate() == 0, "gateway A did not stop cleanly: \(a.log)")
                h.expect(try await b.terminate() == 0, "gateway B did not stop cleanly: \(b.log)")
            }
        }

        /// While the broker is down a send is committed to the gateway's outbox only: 202, the same again for the
        /// same request; once the broker is back the gateway sends it by itself and the status turns accepted.
        @Test func aSendWhileTheBrokerIsDownIs202ThenAccepted() async throws {
            try await withDaemon { h in
                let (a, _) = try await Self.gateways(h)
                _ = try await h.daemon.terminate()
                let send = "\(a.url)/v1/nodes/test-a/messages?wait=0.5"
                let id = "test-a:gw-down-000001"
                let request = try Self.request(id: id, body: try Self.referralBody())
                let queued = try await GatewayHTTP.call("POST", send, body: request, token: Self.token)
                h.expect(queued.status == 202 && queued.json["status"] as? String == "queued", "\(queued)")
                let again = try await GatewayHTTP.call("POST", send, body: request, token: Self.token)
                h.expect(again.status == 202 && again.text == queued.text, "repeat: \(again) after \(queued)")

                try await h.daemon.start()
                try await h.eventually("the queued message is accepted once the broker is back") {
                    let status = try await GatewayHTTP.call(
                        "GET", "\(a.url)/v1/nodes/test-a/messages/\(id)", token: Self.token)
                    return status.json["status"] as? String == "accepted"
                }
            }
        }

        /// Each bad request is a clear 4xx problem and stores nothing; a broker REJECTED is the broker's code.
        @Test func badInputIsAClear4xxAndStoresNothing() async throws {
            try await withDaemon { h in
                let (a, b) = try await Self.gateways(h)
                let send = "\(a.url)/v1/nodes/test-a/messages?wait=15"
                func status(_ id: String) async throws -> Int {
                    try await GatewayHTTP.call("GET", "\(a.url)/v1/nodes/test-a/messages/\(id)", token: Self.token)
                        .status
                }
                func expectProblem(
                    _ answer: GatewayHTTP.Answer, _ code: Int, _ slug: String, field: String? = nil,
                    sourceLocation: SourceLocation = #_sourceLocation
                ) {
                    h.expect(answer.status == code, "expected \(code): \(answer)", sourceLocation: sourceLocation)
                    h.expect(
                        answer.contentType == "application/problem+json", "\(answer)", sourceLocation: sourceLocation)
                    h.expect(
                        answer.json["type"] as? String == "urn:referral-gateway:problem:\(slug)", "\(answer)",
                        sourceLocation: sourceLocation)
                    if let field {
                        h.expect(answer.json["field"] as? String == field, "\(answer)", sourceLocation: sourceLocation)
                    }
                }

                let malformed = Array(#"{"id":"test-a:bad-1","kind":"referral.request","to":["test-b"]"#.utf8)
                expectProblem(
                    try await GatewayHTTP.call("POST", send, body: malformed, token: Self.token), 400, "malformed-json")
                h.expect(try await status("test-a:bad-1") == 404, "a malformed request was stored")

                let unknownKind = try Self.request(id: "test-a:bad-2", kind: "referral.unheard-of", body: [:])
                expectProblem(
                    try await GatewayHTTP.call("POST", send, body: unknownKind, token: Self.token), 422,
                    "invalid-message", field: "kind")
                h.expect(try await status("test-a:bad-2") == 404, "an unknown kind was stored")

                var schema = try Self.referralBody()
                schema["age_band"] = 12
                let failing = try Self.request(id: "test-a:bad-3", body: schema)
                let failed = try await GatewayHTTP.call("POST", send, body: failing, token: Self.token)
                expectProblem(failed, 422, "invalid-message")
                h.expect((failed.json["field"] as? String)?.hasPrefix("body") == true, "\(failed)")
                h.expect(try await status("test-a:bad-3") == 404, "a body failing its schema was stored")

                let good = try Self.request(id: "test-a:bad-4", body: try Self.referralBody())
                expectProblem(try await GatewayHTTP.call("POST", send, body: good), 401, "unauthorized")
                expectProblem(
                    try await GatewayHTTP.call("POST", send, body: good, token: "made-up-wrong-token-000000"), 401,
                    "unauthorized")
                h.expect(try await status("test-a:bad-4") == 404, "a request without a valid token was stored")

                let oversized = try Self.request(
                    id: "test-a:bad-5", body: try Self.referralBody(summary: String(repeating: "x", count: 8_000)))
                expectProblem(
                    try await GatewayHTTP.call("POST", send, body: oversized, token: Self.token), 413, "too-large")
                h.expect(try await status("test-a:bad-5") == 404, "an oversized request was stored")

                // Without a Content-Length (chunked), the limit holds while reading.
                if let curl = Tool.find("curl") {
                    let file = "\(h.directory)/oversized.json"
                    try Data(oversized).write(to: URL(fileURLWithPath: file))
                    let chunked = try await Tool.run(
                        curl,
                        [
                            "-s", "-o", "/dev/null", "-w", "%{http_code}", "-X", "POST", "-H",
                            "Authorization: Bearer \(Self.token)", "-H", "Content-Type: application/json", "-H",
                            "Transfer-Encoding: chunked", "--data-binary", "@\(file)", send,
                        ])
                    h.expect(chunked.output == "413", "chunked oversized body: \(chunked.output)")
                }

                // Valid for the gateway, refused by the broker: its code and the recipient, as a problem.
                let nowhere = try Self.request(id: "test-a:bad-6", to: ["no-such-node"], body: try Self.referralBody())
                let rejected = try await GatewayHTTP.call("POST", send, body: nowhere, token: Self.token)
                expectProblem(rejected, 422, "rejected")
                h.expect(rejected.json["code"] as? String == "UNKNOWN_RECIPIENT", "\(rejected)")
                let rejectedStatus = try await GatewayHTTP.call(
                    "GET", "\(a.url)/v1/nodes/test-a/messages/test-a:bad-6", token: Self.token)
                h.expect(rejectedStatus.json["status"] as? String == "rejected", "\(rejectedStatus)")

                expectProblem(
                    try await GatewayHTTP.call("GET", "\(a.url)/v1/nodes/test-x/inbox", token: Self.token), 404,
                    "unknown-node")
                // A path the API does not have: 404 where every request is let in (B, loopback without
                // applications); refused to every application where there are applications (A: no scope grants it).
                expectProblem(try await GatewayHTTP.call("GET", "\(b.url)/v1/nowhere"), 404, "not-found")
                expectProblem(
                    try await GatewayHTTP.call("GET", "\(a.url)/v1/nowhere", token: Self.token), 403, "forbidden")
                // The document is served without a token; its routes are checked against the server by a unit test.
                let document = try await GatewayHTTP.call("GET", a.url + "/openapi.json")
                h.expect(document.status == 200 && document.json["openapi"] as? String == "3.1.0", "/openapi.json")
                h.expect(!a.log.contains("PX-0001"), "a request body reached the gateway's log")
            }
        }
    }
}

/// The `referral-gateway` command itself: `--help` teaches the configuration and the API; a configuration error
/// exits 78 naming the file, the entry and the field.
@Suite("Gateway: the command") struct GatewayCommandTests {
    static func gateway(_ arguments: [String]) async throws -> (status: Int32, output: String) {
        try await Tool.run(try Locations.executable("referral-gateway", variable: "REFERRAL_GATEWAY_BIN"), arguments)
    }

    /// protocols/GATEWAY-1.openapi.json is a valid OpenAPI 3.1 document (openapi-spec-validator, scripts/setup,
    /// with the python3 of PATH, as scripts/setup installs it).
    @Test func theDocumentIsValidOpenAPI() async throws {
        let script = """
            from openapi_spec_validator import validate
            from openapi_spec_validator.readers import read_from_filename
            validate(read_from_filename('protocols/GATEWAY-1.openapi.json')[0])
            print('valid')
            """
        let path = Locations.packageRoot.path
        let (status, output) = try await Tool.run(
            "/usr/bin/env", ["python3", "-c", "import os; os.chdir('\(path)')\n" + script])
        #expect(status == 0 && output.contains("valid"), "\(output)")
    }

    @Test func helpTeachesTheConfigurationAndTheAPI() async throws {
        let (status, help) = try await Self.gateway(["--help"])
        #expect(status == 0)
        for needle in [
            "referral-gateway.json", "listen", "applications_file", "rate_limit", "new-token", "SIGHUP",
            "max_body_bytes", "inbox_lease_ms", "nodes",
            "POST /v1/nodes/{node}/messages", "/openapi.json", "78",
        ] {
            #expect(help.contains(needle), "--help does not mention \(needle)")
        }
    }

    @Test func configurationErrorsNameFileEntryAndField() async throws {
        let folder = try Tool.temporaryFolder("gateway-config")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let node = """
            {"node":"test-b","broker":"tcp://127.0.0.1:1","store":"test-b.sqlite"}
            """
        try Data(node.utf8).write(to: URL(fileURLWithPath: folder + "/test-b.json"))
        // The URL name and the node file disagree.
        let mismatched = #"{"listen":"127.0.0.1:0","nodes":[{"id":"test-a","config":"test-b.json"}]}"#
        try Data(mismatched.utf8).write(to: URL(fileURLWithPath: folder + "/gateway.json"))
        let first = try await Self.gateway(["--config", folder + "/gateway.json", "--check-config"])
        #expect(first.status == 78, "\(first.output)")
        #expect(first.output.contains("\(folder)/gateway.json: nodes[0]: id:"), "\(first.output)")
        // Off loopback without TLS.
        let open = #"{"listen":"0.0.0.0:9480","nodes":[{"id":"test-b","config":"test-b.json"}]}"#
        try Data(open.utf8).write(to: URL(fileURLWithPath: folder + "/gateway.json"))
        let second = try await Self.gateway(["--config", folder + "/gateway.json", "--check-config"])
        #expect(second.status == 78 && second.output.contains("tls_certificate_file"), "\(second.output)")
        // A good one checks out.
        let good = #"{"listen":"127.0.0.1:0","nodes":[{"id":"test-b","config":"test-b.json"}]}"#
        try Data(good.utf8).write(to: URL(fileURLWithPath: folder + "/gateway.json"))
        let third = try await Self.gateway(["--config", folder + "/gateway.json", "--check-config"])
        #expect(third.status == 0 && third.output.contains("nodes test-b"), "\(third.output)")
    }
}
