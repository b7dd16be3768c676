import Foundation
import Logging
import ReferralProtocol
import Testing

@testable import ReferralGateway

/// Per-application tokens (hashed, scoped to nodes and to send / receive / read), the scope of each route, the
/// request rate's token buckets, and the decision that combines them. Made-up tokens only.
@Suite("Gateway: access")
struct GatewayAccessTests {
    static let file = "/etc/referral/gateway-applications.json"
    static let hosted: Set<String> = ["test-a", "test-b"]

    static func hex(_ token: String) -> String { SHA256.hex(GatewayApplications.digest(ofToken: token)) }

    static func parse(_ text: String) throws(ConfigurationError) -> GatewayApplications {
        try GatewayApplications.parse(Array(text.utf8), file: file, hostedNodes: hosted)
    }

    static func error(_ text: String) -> ConfigurationError? {
        do {
            _ = try parse(text)
            return nil
        } catch {
            return error
        }
    }

    /// Three applications: a sender for test-a, a receiver for test-b, a reader of every node with a low rate.
    static let applications = """
        {"applications": [
          {"name": "sender-a", "token_sha256": "\(hex("made-up-sender-token-0001"))", "nodes": ["test-a"],
           "scopes": ["send"]},
          {"name": "receiver-b", "token_sha256": "\(hex("made-up-receiver-token-01"))", "nodes": ["test-b"],
           "scopes": ["receive"]},
          {"name": "reader", "token_sha256": "\(hex("made-up-reader-token-0001").uppercased())", "nodes": "*",
           "scopes": ["read"], "rate_limit": {"requests_per_second": 0.5, "burst": 2}}
        ]}
        """

    // MARK: - Tokens

    /// The file keeps SHA-256 of the token (FIPS 180-2 "abc" vector); a token is found by its digest only.
    @Test func tokensAreKeptAsTheirSHA256() throws {
        #expect(Self.hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        let table = try Self.parse(Self.applications)
        #expect(table.application(forToken: "made-up-sender-token-0001")?.name == "sender-a")
        // Upper-case hex in the file is the same digest.
        #expect(table.application(forToken: "made-up-reader-token-0001")?.name == "reader")
        #expect(table.application(forToken: "made-up-sender-token-000") == nil)
        #expect(table.application(forToken: "made-up-sender-token-00011") == nil)
        #expect(table.application(forToken: "") == nil)
        // The digest itself is not a token.
        #expect(table.application(forToken: Self.hex("made-up-sender-token-0001")) == nil)
    }

    @Test func bearerHeaders() {
        #expect(GatewayApplications.bearerToken("Bearer abc") == "abc")
        #expect(GatewayApplications.bearerToken("bearer  abc ") == "abc")
        #expect(GatewayApplications.bearerToken("Basic abc") == nil)
        #expect(GatewayApplications.bearerToken("Bearer ") == nil)
        #expect(GatewayApplications.bearerToken(nil) == nil)
    }

    /// `new-token`: `rgw_` and 43 base64url characters (256 bits); its entry, pasted into the file, lets exactly
    /// that token in with those nodes and scopes.
    @Test func aNewTokenAndItsEntry() throws {
        var generator = SeededGenerator(seed: 42)
        let made = NewApplicationToken.make(
            name: "his", nodes: ["test-a"], scopes: [.read, .send], using: &generator)
        #expect(made.token.hasPrefix("rgw_") && made.token.utf8.count == 4 + 43)
        #expect(made.token.dropFirst(4).allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" })
        let entry = String(decoding: made.entry, as: UTF8.self)
        #expect(!entry.contains(made.token))
        #expect(entry.contains(#""scopes":["send","read"]"#), "\(entry)")
        let table = try Self.parse(#"{"applications": [\#(entry)]}"#)
        let application = try #require(table.application(forToken: made.token))
        #expect(application.name == "his" && application.nodes == ["test-a"] && application.scopes == [.send, .read])
        var other = SeededGenerator(seed: 43)
        #expect(NewApplicationToken.make(name: "his", nodes: ["*"], scopes: [.read], using: &other).token != made.token)
        #expect(
            String(
                decoding: NewApplicationToken.make(name: "x", nodes: ["*"], scopes: [.read], using: &other).entry,
                as: UTF8.self
            ).contains(#""nodes":"*""#))
        #expect(NewApplicationToken.base64URL([0xFB, 0xFF]) == "-_8")
        #expect(NewApplicationToken.check(name: "his", nodes: ["test-a"], scopes: ["send"]) == nil)
        #expect(NewApplicationToken.check(name: "his", nodes: [], scopes: ["send"])?.contains("--node") == true)
        #expect(NewApplicationToken.check(name: "his", nodes: ["*", "a"], scopes: ["send"])?.contains("*") == true)
        #expect(NewApplicationToken.check(name: "his", nodes: ["a"], scopes: ["write"])?.contains("write") == true)
        #expect(NewApplicationToken.check(name: "h is", nodes: ["a"], scopes: ["send"])?.contains("--name") == true)
    }

    // MARK: - The applications file

    /// Every error names the entry and the key; the file and `applications_file` are added by `load`.
    @Test func applicationErrorsNameEntryAndField() {
        let digest = Self.hex("made-up-token-x-0000001")
        func entry(_ members: String) -> String {
            #"{"applications": [{"name": "ok", "token_sha256": "\#(Self.hex("made-up-ok-token-0000001"))", "nodes": "*", "scopes": ["read"]}, \#(members)]}"#
        }
        let cases: [(String, String, String)] = [
            (entry(#"{"name": "x", "token_sha256": "\#(digest)", "nodes": "*"}"#), "scopes", "required"),
            (entry(#"{"name": "x", "token_sha256": "\#(digest)", "nodes": "*", "scopes": []}"#), "scopes", "one of"),
            (
                entry(#"{"name": "x", "token_sha256": "\#(digest)", "nodes": "*", "scopes": ["read", "write"]}"#),
                "scopes[1]", "write"
            ),
            (entry(#"{"name": "x", "token_sha256": "abc", "nodes": "*", "scopes": ["read"]}"#), "token_sha256", "64"),
            (
                entry(
                    #"{"name": "x", "token_sha256": "\#(digest)", "nodes": ["test-a", "test-z"], "scopes": ["read"]}"#),
                "nodes[1]", "test-z"
            ),
            (entry(#"{"name": "x", "token_sha256": "\#(digest)", "nodes": "all", "scopes": ["read"]}"#), "nodes", "*"),
            (entry(#"{"name": "x", "token_sha256": "\#(digest)", "nodes": [], "scopes": ["read"]}"#), "nodes", "*"),
            (entry(#"{"name": "x y", "token_sha256": "\#(digest)", "nodes": "*", "scopes": ["read"]}"#), "name", "x y"),
            (
                entry(#"{"name": "ok", "token_sha256": "\#(digest)", "nodes": "*", "scopes": ["read"]}"#), "name",
                "applications[0]"
            ),
            (
                entry(
                    #"{"name": "x", "token_sha256": "\#(Self.hex("made-up-ok-token-0000001"))", "nodes": "*", "scopes": ["read"]}"#
                ),
                "token_sha256", "applications[0]"
            ),
            (
                entry(#"{"name": "x", "token_sha256": "\#(digest)", "nodes": "*", "scopes": ["read"], "token": "t"}"#),
                "token", "unknown"
            ),
            (
                entry(
                    #"{"name": "x", "token_sha256": "\#(digest)", "nodes": "*", "scopes": ["read"], "rate_limit": {"burst": 0}}"#
                ),
                "rate_limit.burst", "between"
            ),
            (
                entry(
                    #"{"name": "x", "token_sha256": "\#(digest)", "nodes": "*", "scopes": ["read"], "rate_limit": {"requests_per_second": 0}}"#
                ),
                "rate_limit.requests_per_second", "more than 0"
            ),
        ]
        for (text, field, words) in cases {
            let error = Self.error(text)
            #expect(error?.file == Self.file && error?.entry == "applications[1]", "\(String(describing: error))")
            #expect(error?.field == field, "\(String(describing: error))")
            #expect(error?.reason.contains(words) == true, "\(String(describing: error))")
        }
        #expect(Self.error(#"{"applications": []}"#)?.field == "applications")
        #expect(Self.error(#"{"apps": []}"#)?.field == "applications")
        #expect(Self.error("{").map { $0.reason.contains("not valid JSON") } == true)
    }

    /// `load` adds the file and the setting; a file others may write is refused (they could let a token in).
    @Test func loadNamesTheFileAndRefusesAFileOthersMayWrite() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("gw-apps-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/applications.json"
        try Data(Self.applications.utf8).write(to: URL(fileURLWithPath: path))
        chmod(path, 0o644)
        #expect(try GatewayApplications.load(path: path, hostedNodes: Self.hosted).applications.count == 3)
        chmod(path, 0o666)
        #expect(throws: ConfigurationError.self) { try GatewayApplications.load(path: path, hostedNodes: Self.hosted) }
        chmod(path, 0o600)
        do {
            _ = try GatewayApplications.load(path: path, hostedNodes: ["test-b"])
            Issue.record("test-a is not hosted")
        } catch {
            #expect(error.description.hasPrefix("\(path): applications_file: applications[0]: nodes[0]: "))
        }
    }

    // MARK: - Scopes of routes

    @Test func eachRouteNeedsItsScope() {
        func needs(_ method: String, _ path: String) -> RouteRequirement {
            ScopeRules.requirement(method: method, path: path)
        }
        #expect(needs("GET", "/health") == .open)
        #expect(needs("GET", "/openapi.json") == .open)
        #expect(needs("GET", "/ready") == .anyApplication)
        #expect(needs("GET", "/metrics") == .anyApplication)
        #expect(needs("POST", "/v1/nodes/test-a/messages") == .scope(anyOf: [.send], node: "test-a"))
        #expect(needs("GET", "/v1/nodes/test-a/messages/test-a:1") == .scope(anyOf: [.read, .send], node: "test-a"))
        #expect(needs("GET", "/v1/nodes/test-b/inbox") == .scope(anyOf: [.receive], node: "test-b"))
        #expect(needs("POST", "/v1/nodes/test-b/inbox/test-a:1/complete") == .scope(anyOf: [.receive], node: "test-b"))
        // Read-only views, including those added later, are `read`.
        #expect(needs("GET", "/v1/nodes/test-a/events") == .scope(anyOf: [.read], node: "test-a"))
        #expect(needs("GET", "/v1/nodes/test-a/cases/0b7e6a52") == .scope(anyOf: [.read], node: "test-a"))
        #expect(needs("GET", "/v1/nodes/test-a/overdue") == .scope(anyOf: [.read], node: "test-a"))
        #expect(needs("HEAD", "/v1/nodes/test-a/overdue") == .scope(anyOf: [.read], node: "test-a"))
        // Split as the router splits: empty components do not move the node.
        #expect(needs("POST", "//v1//nodes/test-a/messages/") == .scope(anyOf: [.send], node: "test-a"))
        // Anything else that changes state, or is not under a node, has no scope until a rule gives it one.
        #expect(needs("DELETE", "/v1/nodes/test-a/messages/test-a:1") == .denied)
        #expect(needs("POST", "/v1/nodes/test-a/cases/0b7e6a52") == .denied)
        #expect(needs("POST", "/v1/nodes/test-b/inbox") == .denied)
        #expect(needs("PUT", "/v1/nodes/test-a/messages") == .denied)
        #expect(needs("GET", "/v1/nodes") == .denied)
        #expect(needs("GET", "/v1/nowhere") == .denied)
        #expect(needs("GET", "/admin") == .denied)
        #expect(needs("GET", "/") == .denied)
    }

    // MARK: - Rate

    @Test func aBucketAllowsItsBurstThenItsRate() {
        var buckets = TokenBuckets()
        let limit = RateLimit(requestsPerSecond: 2, burst: 3)
        for _ in 0..<3 { #expect(buckets.take("a", limit: limit, nowMs: 1_000) == .allowed) }
        #expect(buckets.take("a", limit: limit, nowMs: 1_000) == .limited(retryAfterSeconds: 1))
        // Another key has its own bucket.
        #expect(buckets.take("b", limit: limit, nowMs: 1_000) == .allowed)
        // Half a second later one request more (2 a second), not two.
        #expect(buckets.take("a", limit: limit, nowMs: 1_500) == .allowed)
        #expect(buckets.take("a", limit: limit, nowMs: 1_500) == .limited(retryAfterSeconds: 1))
        // Long after, the bucket is full again, never more than its burst.
        for _ in 0..<3 { #expect(buckets.take("a", limit: limit, nowMs: 100_000) == .allowed) }
        #expect(buckets.take("a", limit: limit, nowMs: 100_000) != .allowed)
        // A slow rate: Retry-After rounded up (one request in 4 s at 0.25/s).
        let slow = RateLimit(requestsPerSecond: 0.25, burst: 1)
        #expect(buckets.take("c", limit: slow, nowMs: 0) == .allowed)
        #expect(buckets.take("c", limit: slow, nowMs: 0) == .limited(retryAfterSeconds: 4))
        #expect(buckets.take("c", limit: slow, nowMs: 1_000) == .limited(retryAfterSeconds: 3))
        #expect(buckets.take("c", limit: slow, nowMs: 4_100) == .allowed)
        buckets.keep(only: ["a"])
        #expect(buckets.keys == ["a"])
    }

    @Test func rateLimitSettings() throws {
        let configuration = try GatewayConfigurationTests.parse(
            #"{"rate_limit": {"requests_per_second": 20, "burst": 30}, "nodes": [{"id": "a", "config": "a.json"}]}"#)
        #expect(configuration.rateLimit == RateLimit(requestsPerSecond: 20, burst: 30))
        #expect(
            try GatewayConfigurationTests.parse(#"{"nodes": [{"id": "a", "config": "a.json"}]}"#).rateLimit
                == RateLimit(requestsPerSecond: 200, burst: 400))
        let bad = GatewayConfigurationTests.error(
            #"{"rate_limit": {"requests_per_second": "x"}, "nodes": [{"id": "a", "config": "a.json"}]}"#)
        #expect(bad?.field == "rate_limit.requests_per_second")
        let unknown = GatewayConfigurationTests.error(
            #"{"rate_limit": {"per_second": 1}, "nodes": [{"id": "a", "config": "a.json"}]}"#)
        #expect(unknown?.field == "rate_limit.per_second")
    }

    // MARK: - The decision

    static let sender = "Bearer made-up-sender-token-0001"
    static let receiver = "Bearer made-up-receiver-token-01"
    static let reader = "Bearer made-up-reader-token-0001"

    @Test func tokensNodesAndScopes() throws {
        var state = AccessState(applications: try Self.parse(Self.applications), rateLimit: .default)
        var now: Int64 = 0
        func decide(_ method: String, _ path: String, _ authorization: String?) -> AccessState.Decision {
            now += 10_000  // the reader's slow rate is not what this test is about
            return state.decide(method: method, path: path, authorization: authorization, nowMs: now)
        }
        func slug(_ decision: AccessState.Decision) -> String? {
            guard case .refuse(let problem, _) = decision else { return nil }
            return problem.slug
        }
        #expect(decide("GET", "/health", nil) == .allow(application: nil))
        #expect(decide("GET", "/openapi.json", "Bearer nonsense") == .allow(application: nil))
        #expect(slug(decide("GET", "/ready", nil)) == "unauthorized")
        #expect(decide("GET", "/ready", Self.receiver) == .allow(application: "receiver-b"))
        #expect(decide("GET", "/metrics", Self.reader) == .allow(application: "reader"))
        #expect(slug(decide("POST", "/v1/nodes/test-a/messages", nil)) == "unauthorized")
        #expect(slug(decide("POST", "/v1/nodes/test-a/messages", "Bearer made-up-wrong-token-0001")) == "unauthorized")
        #expect(decide("POST", "/v1/nodes/test-a/messages", Self.sender) == .allow(application: "sender-a"))
        // send reads its node's message status; read reads any node's; receive does not.
        #expect(decide("GET", "/v1/nodes/test-a/messages/m1", Self.sender) == .allow(application: "sender-a"))
        #expect(decide("GET", "/v1/nodes/test-b/messages/m1", Self.reader) == .allow(application: "reader"))
        #expect(slug(decide("GET", "/v1/nodes/test-b/messages/m1", Self.receiver)) == "forbidden")
        // The wrong node; the wrong scope; a route no scope grants.
        let wrongNode = decide("POST", "/v1/nodes/test-b/messages", Self.sender)
        guard case .refuse(let problem, _) = wrongNode else {
            Issue.record("sender-a may send for test-b")
            return
        }
        #expect(problem.status == 403 && problem.slug == "forbidden")
        #expect(
            problem.detail.contains("send") && problem.detail.contains("test-b") && problem.detail.contains("sender-a"))
        #expect(!problem.detail.contains("made-up-sender-token"))
        let wrongScope = decide("POST", "/v1/nodes/test-b/messages", Self.receiver)
        #expect(slug(wrongScope) == "forbidden")
        #expect(slug(decide("GET", "/v1/nodes/test-a/inbox", Self.reader)) == "forbidden")
        #expect(
            decide("POST", "/v1/nodes/test-b/inbox/test-a:m1/complete", Self.receiver)
                == .allow(application: "receiver-b"))
        #expect(slug(decide("DELETE", "/v1/nodes/test-a/messages/m1", Self.sender)) == "forbidden")
        #expect(slug(decide("GET", "/v1/nowhere", Self.reader)) == "forbidden")
    }

    /// Each application has its own bucket (its own rate, or the gateway's); 401s take nothing from anyone's.
    @Test func ratePerApplication() throws {
        var state = AccessState(applications: try Self.parse(Self.applications), rateLimit: .default)
        let path = "/v1/nodes/test-a/messages/m1"
        #expect(
            state.decide(method: "GET", path: path, authorization: Self.reader, nowMs: 0)
                == .allow(application: "reader"))
        #expect(
            state.decide(method: "GET", path: path, authorization: Self.reader, nowMs: 0)
                == .allow(application: "reader"))
        guard
            case .refuse(let problem, let retryAfter) = state.decide(
                method: "GET", path: path, authorization: Self.reader, nowMs: 0)
        else {
            Issue.record("the reader's third request at once is let in (burst 2)")
            return
        }
        #expect(problem.status == 429 && problem.slug == "rate-limited" && retryAfter == 2)
        #expect(problem.detail.contains("reader") && problem.detail.contains("0.5"))
        #expect(
            state.decide(method: "GET", path: path, authorization: Self.sender, nowMs: 0)
                == .allow(application: "sender-a"))
        #expect(
            state.decide(method: "GET", path: path, authorization: Self.reader, nowMs: 2_000)
                == .allow(application: "reader"))
    }

    /// Without applications (loopback only) every request is let in, under one bucket for the whole gateway.
    @Test func withoutApplicationsOneBucket() {
        var state = AccessState(applications: nil, rateLimit: RateLimit(requestsPerSecond: 1, burst: 2))
        let path = "/v1/nodes/test-a/messages"
        #expect(state.decide(method: "POST", path: path, authorization: nil, nowMs: 0) == .allow(application: nil))
        #expect(
            state.decide(method: "GET", path: "/v1/nowhere", authorization: nil, nowMs: 0) == .allow(application: nil))
        #expect(state.decide(method: "GET", path: "/ready", authorization: nil, nowMs: 0) != .allow(application: nil))
        // Open paths are not metered.
        #expect(state.decide(method: "GET", path: "/health", authorization: nil, nowMs: 0) == .allow(application: nil))
    }

    // MARK: - Reload

    @Test func reloadSwapsApplicationsAndRateOrKeepsThem() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("gw-reload-\(UUID().uuidString)")
            .path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        func write(_ text: String, _ name: String) throws {
            try Data(text.utf8).write(to: URL(fileURLWithPath: "\(folder)/\(name)"))
        }
        let gateway =
            #"{"listen": "127.0.0.1:0", "applications_file": "apps.json", "nodes": [{"id": "test-a", "config": "a.json"}, {"id": "test-b", "config": "b.json"}]"#
        try write(gateway + "}", "gateway.json")
        try write(Self.applications, "apps.json")
        let running = try GatewayConfiguration.load(path: folder + "/gateway.json")
        let live = LiveSettings(running, applications: try running.readApplications())
        let reloader = GatewayReloader(
            path: folder + "/gateway.json", running: running, live: live, logger: Logger(label: "test"))
        #expect(live.applicationCount == 3)

        // One application less, a rate and a body limit: swapped; a new listen: for the next start.
        try write(
            gateway.replacingOccurrences(of: "127.0.0.1:0", with: "127.0.0.1:9999")
                + #", "rate_limit": {"requests_per_second": 5, "burst": 6}, "max_body_bytes": 4096}"#, "gateway.json")
        try write(
            #"{"applications": [{"name": "reader", "token_sha256": "\#(Self.hex("made-up-reader-token-0001"))", "nodes": "*", "scopes": ["read"]}]}"#,
            "apps.json")
        let (_, _, plan) = try reloader.reload()
        #expect(plan.ignoredUntilRestart == ["listen"])
        #expect(live.applicationCount == 1)
        #expect(live.currentMaxBodyBytes == 4096)
        #expect(live.access.withLock { $0.rateLimit } == RateLimit(requestsPerSecond: 5, burst: 6))
        guard case .refuse(let problem, _) = live.decide(method: "GET", path: "/ready", authorization: Self.sender)
        else {
            Issue.record("a removed application is still let in")
            return
        }
        #expect(problem.status == 401)

        // A bad applications file: nothing changes.
        try write(#"{"applications": [{"name": "x"}]}"#, "apps.json")
        #expect(throws: ConfigurationError.self) { try reloader.reload() }
        #expect(live.applicationCount == 1)
        #expect(live.decide(method: "GET", path: "/ready", authorization: Self.reader) == .allow(application: "reader"))
        // An application for a node added to the file but not hosted until a restart: refused.
        try write(
            gateway.replacingOccurrences(
                of: #"{"id": "test-b", "config": "b.json"}"#,
                with: #"{"id": "test-c", "config": "b.json"}, {"id": "test-b", "config": "b.json"}"#) + "}",
            "gateway.json")
        try write(
            #"{"applications": [{"name": "c", "token_sha256": "\#(Self.hex("made-up-c-token-00000001"))", "nodes": ["test-c"], "scopes": ["read"]}]}"#,
            "apps.json")
        #expect(throws: ConfigurationError.self) { try reloader.reload() }
        #expect(live.applicationCount == 1)
    }

    @Test func theReloadPlanNamesWhatWaitsForARestart() throws {
        let running = try GatewayConfigurationTests.parse(#"{"nodes": [{"id": "a", "config": "a.json"}]}"#)
        var reread = running
        reread.rateLimit = RateLimit(requestsPerSecond: 1, burst: 1)
        reread.maxBodyBytes = 2048
        reread.applicationsFile = "/x.json"
        #expect(ReloadPlan.compare(running: running, reread: reread).ignoredUntilRestart.isEmpty)
        reread.nodes.append(.init(id: "b", config: "b.json"))
        reread.tlsCertificateFile = "/c.pem"
        reread.inboxLeaseMs = 5_000
        #expect(
            ReloadPlan.compare(running: running, reread: reread).ignoredUntilRestart
                == ["tls_certificate_file", "inbox_lease_ms", "nodes"])
    }
}

/// A deterministic generator for the token tests (SplitMix64).
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
