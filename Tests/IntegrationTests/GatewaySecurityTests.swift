import Foundation
import ReferralProtocol
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

#if canImport(Glibc)
    import Glibc
#endif

extension DaemonSuite {
    /// The gateway's applications end to end (issue 11): per-application tokens kept hashed, scoped to nodes and to
    /// send / receive / read, a request rate per application, and SIGHUP reloading them. The real broker and a real
    /// `referral-gateway` hosting test-a and test-b, over HTTP only. Made-up tokens and data only.
    @Suite("Gateway: applications, scopes, rate and reload")
    struct GatewaySecurityTests {
        static let sender = GatewayApplication(
            name: "sender-a", token: "made-up-sender-token-0123456789", nodes: ["test-a"], scopes: ["send"])
        static let receiver = GatewayApplication(
            name: "receiver-b", token: "made-up-receiver-token-012345678", nodes: ["test-b"], scopes: ["receive"])
        static let reader = GatewayApplication(
            name: "reader", token: "made-up-reader-token-0123456789", scopes: ["read"])
        /// One request every 5 s after a burst of 2: a loop of requests meets its limit whatever the machine's pace.
        static let limited = GatewayApplication(
            name: "limited", token: "made-up-limited-token-012345678", scopes: ["read"],
            rateLimit: (requestsPerSecond: 0.2, burst: 2))

        /// The gateway with `applications`, ready (both nodes have a session), and the applications file's path.
        static func gateway(
            _ h: Harness, _ applications: [GatewayApplication]
        ) async throws -> (GatewayProcess, String) {
            let file = "\(h.directory)/gateway.applications.json"
            try GatewayApplication.write(applications, to: file)
            let gateway = try await GatewayProcess.launch(
                h, name: "gateway", nodes: ["test-a", "test-b"], extra: ["applications_file": file])
            try await h.eventually("\(gateway.url)/ready answers 200 (both nodes have a session)") {
                try await Self.call("GET", gateway.url + "/ready", token: applications[0].token).answer.status == 200
            }
            return (gateway, file)
        }

        /// One exchange, with the answer's headers.
        static func call(
            _ method: String, _ url: String, body: [UInt8]? = nil, token: String? = nil
        ) async throws -> (answer: GatewayHTTP.Answer, headers: [String: String]) {
            let answer = try await GatewayHTTP.call(method, url, body: body, token: token)
            return (answer, answer.headers)
        }

        static func expectProblem(
            _ h: Harness, _ answer: GatewayHTTP.Answer, _ status: Int, _ slug: String,
            sourceLocation: SourceLocation = #_sourceLocation
        ) {
            h.expect(answer.status == status, "expected \(status): \(answer)", sourceLocation: sourceLocation)
            h.expect(answer.contentType == "application/problem+json", "\(answer)", sourceLocation: sourceLocation)
            h.expect(
                answer.json["type"] as? String == "urn:referral-gateway:problem:\(slug)", "\(answer)",
                sourceLocation: sourceLocation)
        }

        /// 401 without a valid token; 403 (`forbidden`, naming the scope and the node, never the token) for the
        /// wrong scope or node, and nothing stored or sent; each application within its nodes and scopes works;
        /// past its rate an application gets 429 with Retry-After while the others go on.
        @Test func tokensScopesNodesAndRate() async throws {
            try await withDaemon { h in
                let (gateway, _) = try await Self.gateway(
                    h, [Self.reader, Self.sender, Self.receiver, Self.limited])
                let url = gateway.url
                let send = "\(url)/v1/nodes/test-a/messages?wait=15"
                func status(_ node: String, _ id: String) async throws -> GatewayHTTP.Answer {
                    try await Self.call("GET", "\(url)/v1/nodes/\(node)/messages/\(id)", token: Self.reader.token)
                        .answer
                }

                // Open, and closed without a token.
                h.expect(try await Self.call("GET", url + "/health").answer.status == 200, "/health needs no token")
                h.expect(try await Self.call("GET", url + "/openapi.json").answer.status == 200, "/openapi.json")
                let noToken = try await Self.call("GET", url + "/ready")
                Self.expectProblem(h, noToken.answer, 401, "unauthorized")
                h.expect(noToken.headers["www-authenticate"]?.hasPrefix("Bearer") == true, "\(noToken.headers)")

                let request = try GatewayTests.request(id: "test-a:sec-1", body: try GatewayTests.referralBody())
                Self.expectProblem(h, try await Self.call("POST", send, body: request).answer, 401, "unauthorized")
                Self.expectProblem(
                    h, try await Self.call("POST", send, body: request, token: "made-up-wrong-token-000000").answer,
                    401, "unauthorized")

                // A valid token without the scope: 403 naming send and test-a; the message is nowhere.
                let wrongScope = try await Self.call("POST", send, body: request, token: Self.receiver.token)
                Self.expectProblem(h, wrongScope.answer, 403, "forbidden")
                let detail = wrongScope.answer.json["detail"] as? String ?? ""
                h.expect(detail.contains("send") && detail.contains("'test-a'"), "\(wrongScope.answer)")
                h.expect(!wrongScope.answer.text.contains(Self.receiver.token), "the token is in the answer")
                h.expect(
                    wrongScope.headers["www-authenticate"]?.contains("insufficient_scope") == true,
                    "\(wrongScope.headers)")
                Self.expectProblem(h, try await status("test-a", "test-a:sec-1"), 404, "unknown-message")

                // A valid token with the scope but for another node: 403 naming that node; nothing stored.
                let fromB = try GatewayTests.request(
                    id: "test-b:sec-2", to: ["test-a"], body: try GatewayTests.referralBody())
                let wrongNode = try await Self.call(
                    "POST", "\(url)/v1/nodes/test-b/messages?wait=15", body: fromB, token: Self.sender.token)
                Self.expectProblem(h, wrongNode.answer, 403, "forbidden")
                h.expect(
                    (wrongNode.answer.json["detail"] as? String)?.contains("'test-b'") == true, "\(wrongNode.answer)")
                Self.expectProblem(h, try await status("test-b", "test-b:sec-2"), 404, "unknown-message")
                // Neither reached the broker: test-b's inbox is empty.
                let inbox = "\(url)/v1/nodes/test-b/inbox"
                let empty = try await Self.call("GET", inbox + "?wait=1", token: Self.receiver.token).answer
                h.expect(empty.status == 200 && (empty.json["messages"] as? [Any])?.isEmpty == true, "\(empty)")

                // Within its node and scope: sent, its status read by the sender, taken and completed by test-b's
                // receiver, which may not read test-a's status; the reader may not complete.
                let sent = try await Self.call("POST", send, body: request, token: Self.sender.token).answer
                h.expect(sent.status == 201, "send: \(sent)")
                let own = try await Self.call(
                    "GET", "\(url)/v1/nodes/test-a/messages/test-a:sec-1", token: Self.sender.token
                ).answer
                h.expect(own.status == 200 && own.json["status"] as? String == "accepted", "\(own)")
                Self.expectProblem(
                    h,
                    try await Self.call(
                        "GET", "\(url)/v1/nodes/test-a/messages/test-a:sec-1", token: Self.receiver.token
                    ).answer, 403, "forbidden")
                Self.expectProblem(
                    h, try await Self.call("GET", inbox + "?wait=0", token: Self.reader.token).answer, 403,
                    "forbidden")
                let taken = try await Self.call("GET", inbox + "?wait=20", token: Self.receiver.token).answer
                let handle = (taken.json["messages"] as? [[String: Any]])?.first?["handle"] as? String
                try h.require(handle == "test-a:test-a:sec-1", "test-b's inbox: \(taken)")
                let complete = "\(inbox)/test-a:test-a:sec-1/complete"
                Self.expectProblem(
                    h, try await Self.call("POST", complete, token: Self.reader.token).answer, 403, "forbidden")
                h.expect(
                    try await Self.call("POST", complete, token: Self.receiver.token).answer.status == 204, "complete")

                // Over its rate (burst 2, then one each 5 s): 429 rate-limited with Retry-After in whole seconds.
                var limitedAnswer: (answer: GatewayHTTP.Answer, headers: [String: String])?
                for _ in 0..<20 {
                    let answer = try await Self.call("GET", url + "/ready", token: Self.limited.token)
                    if answer.answer.status == 429 {
                        limitedAnswer = answer
                        break
                    }
                }
                let limited = try h.unwrap(limitedAnswer, "20 requests at once never met a limit of 0.2 a second")
                Self.expectProblem(h, limited.answer, 429, "rate-limited")
                let retryAfter = limited.headers["retry-after"].flatMap { Int($0) }
                h.expect(retryAfter.map { $0 >= 1 && $0 <= 5 } == true, "Retry-After: \(limited.headers)")
                // The other applications have buckets of their own.
                h.expect(
                    try await Self.call("GET", url + "/ready", token: Self.reader.token).answer.status == 200,
                    "the reader is limited by another application's requests")
                h.expect(!gateway.log.contains("made-up-"), "a token reached the gateway's log")
                h.expect(!gateway.log.contains("PX-0001"), "a request body reached the gateway's log")
                h.expect(try await gateway.terminate() == 0, "the gateway did not stop cleanly: \(gateway.log)")
            }
        }

        /// SIGHUP reads the applications again without a restart: an added application's token works, a removed
        /// one's is 401, and a new max_body_bytes holds at once; a bad file keeps the running applications and the
        /// log names the file and the field; a changed listen address is logged as waiting for a restart.
        @Test func sighupAddsAndRemovesApplications() async throws {
            try await withDaemon { h in
                let (gateway, file) = try await Self.gateway(h, [Self.reader, Self.sender])
                let late = GatewayApplication(
                    name: "late", token: "made-up-late-token-01234567890", nodes: ["test-a"], scopes: ["read"])
                let probe = "\(gateway.url)/v1/nodes/test-a/messages/test-a:none"
                func answer(_ token: String) async throws -> Int {
                    try await Self.call("GET", probe, token: token).answer.status
                }
                h.expect(try await answer(Self.reader.token) == 404, "the reader reads test-a")
                h.expect(try await answer(late.token) == 401, "an unknown token is let in")

                // Another application list, and a new listen address (for the next start only).
                try GatewayApplication.write([Self.sender, late], to: file)
                let configPath = "\(h.directory)/gateway.json"
                var config =
                    try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: configPath)))
                    as? [String: Any] ?? [:]
                config["listen"] = "127.0.0.1:1"
                config["max_body_bytes"] = 1024
                try JSONSerialization.data(withJSONObject: config).write(to: URL(fileURLWithPath: configPath))
                kill(gateway.process.processIdentifier, SIGHUP)
                try await h.eventually("the added application is let in, the removed one is not") {
                    let added = try await answer(late.token)
                    let removed = try await answer(Self.reader.token)
                    return added == 404 && removed == 401
                }
                h.expect(try await answer(Self.sender.token) == 404, "the sender (kept) is let in")
                let large = try GatewayTests.request(
                    id: "test-a:sec-large",
                    body: try GatewayTests.referralBody(summary: String(repeating: "x", count: 1_500)))
                Self.expectProblem(
                    h,
                    try await Self.call(
                        "POST", "\(gateway.url)/v1/nodes/test-a/messages", body: large, token: Self.sender.token
                    ).answer, 413, "too-large")
                try await h.eventually("the log says listen waits for a restart") {
                    gateway.log.contains("ignored until restart") && gateway.log.contains("listen")
                }
                h.expect(
                    try await Self.call("GET", gateway.url + "/health").answer.status == 200, "still on its address")

                // A bad file: refused, logged naming the file and the field; the running applications stay.
                try GatewayApplication.write([late], to: file)
                var broken =
                    try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: file)))
                    as? [String: Any] ?? [:]
                var entries = broken["applications"] as? [[String: Any]] ?? []
                entries[0]["scopes"] = ["write"]
                broken["applications"] = entries
                try JSONSerialization.data(withJSONObject: broken).write(to: URL(fileURLWithPath: file))
                kill(gateway.process.processIdentifier, SIGHUP)
                try await h.eventually("the log names the bad file and field") {
                    gateway.log.contains("reload refused") && gateway.log.contains(file)
                        && gateway.log.contains("applications[0]: scopes[0]")
                }
                h.expect(try await answer(Self.sender.token) == 404, "a bad file changed the running applications")
                h.expect(try await answer(late.token) == 404, "a bad file changed the running applications")
                h.expect(gateway.process.isRunning, "SIGHUP stopped the gateway")
                h.expect(!gateway.log.contains("made-up-"), "a token reached the gateway's log")
                h.expect(try await gateway.terminate() == 0, "the gateway did not stop cleanly: \(gateway.log)")
            }
        }
    }
}

/// `referral-gateway new-token` and the applications file's errors, without a broker.
@Suite("Gateway: the command's applications")
struct GatewayApplicationsCommandTests {
    /// Line 1 the token, line 2 its entry: the token's SHA-256 and nothing of the token itself.
    @Test func newTokenPrintsTheTokenAndItsEntry() async throws {
        let (status, output) = try await GatewayCommandTests.gateway([
            "new-token", "--name", "school-sis", "--node", "test-a", "--scope", "send", "--scope", "read",
        ])
        #expect(status == 0, "\(output)")
        let lines = output.split(separator: "\n").map(String.init)
        let token = try #require(lines.first { $0.hasPrefix("rgw_") }, "\(output)")
        let entryLine = try #require(lines.first { $0.hasPrefix("{") }, "\(output)")
        let entry = try #require(try JSONSerialization.jsonObject(with: Data(entryLine.utf8)) as? [String: Any])
        #expect(entry["name"] as? String == "school-sis")
        #expect(entry["token_sha256"] as? String == SHA256.hex(SHA256.hash(Array(token.utf8))))
        #expect(entry["nodes"] as? [String] == ["test-a"] && entry["scopes"] as? [String] == ["send", "read"])
        #expect(!entryLine.contains(token))
        let again = try await GatewayCommandTests.gateway([
            "new-token", "--name", "x", "--node", "*", "--scope", "read",
        ])
        #expect(again.status == 0 && !again.output.contains(token), "two tokens alike")
        let bad = try await GatewayCommandTests.gateway(["new-token", "--name", "x", "--node", "a", "--scope", "write"])
        #expect(bad.status != 0 && bad.output.contains("write"), "\(bad.output)")
    }

    /// A bad applications file exits 78 naming the file, the entry and the field; a good one is counted by
    /// --check-config; the old token_file and a gateway off loopback without applications are refused.
    @Test func applicationErrorsNameFileEntryAndField() async throws {
        let folder = try Tool.temporaryFolder("gateway-apps")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try Data(#"{"node":"test-b","broker":"tcp://127.0.0.1:1","store":"test-b.sqlite"}"#.utf8)
            .write(to: URL(fileURLWithPath: folder + "/test-b.json"))
        func check(_ gateway: String) async throws -> (status: Int32, output: String) {
            try Data(gateway.utf8).write(to: URL(fileURLWithPath: folder + "/gateway.json"))
            return try await GatewayCommandTests.gateway(["--config", folder + "/gateway.json", "--check-config"])
        }
        let nodes = #""nodes":[{"id":"test-b","config":"test-b.json"}]"#
        let apps = folder + "/apps.json"
        try GatewayApplication.write(
            [
                GatewayApplication(name: "one", token: "made-up-token-one-0123456789"),
                GatewayApplication(name: "two", token: "made-up-token-two-0123456789", nodes: ["test-z"]),
            ], to: apps)
        let wrongNode = try await check(#"{"listen":"127.0.0.1:0","applications_file":"apps.json",\#(nodes)}"#)
        #expect(wrongNode.status == 78, "\(wrongNode.output)")
        #expect(
            wrongNode.output.contains("\(apps): applications_file: applications[1]: nodes[0]: 'test-z'"),
            "\(wrongNode.output)")

        try GatewayApplication.write([GatewayApplication(name: "one", token: "made-up-token-one-0123456789")], to: apps)
        let good = try await check(#"{"listen":"127.0.0.1:0","applications_file":"apps.json",\#(nodes)}"#)
        #expect(good.status == 0 && good.output.contains("applications 1"), "\(good.output)")

        let old = try await check(#"{"listen":"127.0.0.1:0","token_file":"t",\#(nodes)}"#)
        #expect(
            old.status == 78 && old.output.contains("token_file") && old.output.contains("new-token"), "\(old.output)")
        let open = try await check(
            #"{"listen":"0.0.0.0:0","tls_certificate_file":"c.pem","tls_key_file":"k.pem",\#(nodes)}"#)
        #expect(open.status == 78 && open.output.contains("applications_file"), "\(open.output)")
    }
}
