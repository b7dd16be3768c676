import Foundation
import ReferralClient
import ReferralProtocol
import Testing

#if canImport(Glibc)
    import Glibc
#endif

extension DaemonSuite {
    /// The daemon's HTTP listener (METRICS-CONTRACT.md): /health, /ready and /metrics over real HTTP on loopback,
    /// on a port the system picks (suites run daemons in parallel).
    @Suite("HTTP listener: health, readiness, metrics")
    struct HTTPListenerTests {
        static var listening: DaemonOptions {
            var options = DaemonOptions()
            options.http = ["listen": "127.0.0.1:0"]
            return options
        }

        /// /health and /ready answer 200 once the broker runs; /metrics counts a message accepted, delivered and
        /// acknowledged by kind and agency, a rejection by code, and shows the nodes connected, the commit
        /// histogram and the store's size.
        @Test func metricsMoveAsMessagesFlow() async throws {
            try await withDaemon(Self.listening) { h in
                let address = try h.unwrap(h.daemon.httpAddress, "ready.json names no http address")
                let health = try await HTTPGet.get(address, "/health")
                h.expect(health.status == 200 && health.body == "ok\n", "/health: \(health)")
                h.expect(try await HTTPGet.get(address, "/ready").status == 200, "/ready is not 200")
                let before = try await HTTPGet.get(address, "/metrics")
                h.expect(
                    before.contentType?.hasPrefix("text/plain; version=0.0.4") == true, "\(before.contentType ?? "")")
                h.expect(HTTPGet.sample(before.body, "referral_ready") == 1, "referral_ready is not 1")
                h.expect(
                    HTTPGet.sample(before.body, "referral_messages_accepted_total") == nil,
                    "a message counted before any was sent")

                let a = try h.node("test-a")
                let b = try h.node("test-b")
                let id = "test-a:http-000001"
                try await a.send(Made.message(id, to: ["test-b"]))
                let message = try h.unwrap(try await b.nextMessage(timeout: .seconds(20)), "B received nothing")
                try await b.complete(message)
                _ = try await a.waitForReceipts(of: id, count: 1, timeout: .seconds(20))
                try await a.send(Made.message("test-a:http-000002", to: ["no-such-node"]))
                _ = try await a.outcome(of: "test-a:http-000002", timeout: .seconds(20))

                let kindEducation = ["kind": Made.kind, "agency": "education"]
                let kindHealth = ["kind": Made.kind, "agency": "health"]
                var text = ""
                try await h.eventually("the counters show the message and the rejection") {
                    text = try await HTTPGet.get(address, "/metrics").body
                    return HTTPGet.sample(text, "referral_messages_acknowledged_total", kindHealth) == 1
                        && HTTPGet.sample(text, "referral_messages_rejected_total") != nil
                }
                h.expect(HTTPGet.sample(text, "referral_messages_accepted_total", kindEducation) == 1, text)
                h.expect(HTTPGet.sample(text, "referral_messages_delivered_total", kindHealth) == 1, text)
                h.expect(
                    HTTPGet.sample(text, "referral_messages_rejected_total", ["code": "UNKNOWN_RECIPIENT"]) == 1,
                    "rejected by code: \(text)")
                h.expect(
                    HTTPGet.sample(text, "referral_node_connected", ["node": "test-b", "agency": "health"]) == 1, text)
                h.expect(HTTPGet.sample(text, "referral_node_connected", ["node": "test-c"]) == 0, text)
                h.expect((HTTPGet.sample(text, "referral_nodes_connected") ?? 0) >= 2, text)
                h.expect(
                    (HTTPGet.sample(text, "referral_node_last_seen_timestamp_seconds", ["node": "test-a"]) ?? 0) > 0,
                    text)
                h.expect(HTTPGet.sample(text, "referral_node_backlog", ["node": "test-b"]) == 0, text)
                h.expect((HTTPGet.sample(text, "referral_store_commit_seconds_count") ?? 0) >= 1, text)
                h.expect((HTTPGet.sample(text, "referral_store_batch_size_count") ?? 0) >= 1, text)
                h.expect((HTTPGet.sample(text, "referral_store_size_bytes") ?? 0) > 0, text)
                h.expect((HTTPGet.sample(text, "referral_store_disk_free_bytes") ?? 0) > 0, text)
                h.expect(HTTPGet.sample(text, "referral_build_info", ["version": ProductVersion.string]) == 1, text)
                h.expect(HTTPGet.sample(text, "referral_cases_open", ["status": "requested"]) == 0, text)
                h.expect(HTTPGet.sample(text, "referral_audit_chain_intact") == nil, "audit gauge before any verify")
                // Every metric served is one the alert rules and the Grafana dashboard may be written against.
                let served = Set(
                    text.split(separator: "\n").compactMap { line -> String? in
                        line.hasPrefix("# TYPE ") ? String(line.split(separator: " ")[2]) : nil
                    })
                let contract = MetricNames.counters.union(MetricNames.gauges).union(MetricNames.histograms)
                h.expect(!served.isEmpty && served.isSubset(of: contract), "not in MetricNames: \(served.subtracting(contract))")
                h.expect(!text.contains(id), "a message id appears in the metrics")

                // The same numbers without Prometheus.
                let stats = try await h.referralctl(["stats", "--admin", h.daemon.admin])
                h.expect(stats.status == 0, "referralctl stats: \(stats.stderr)")
                h.expect(stats.stdout.contains("accepted: 1\n  \(Made.kind) education: 1\n"), stats.stdout)
                h.expect(stats.stdout.contains("rejected: 1\n  UNKNOWN_RECIPIENT: 1\n"), stats.stdout)

                // An operator's audit verify sets the audit gauges.
                _ = try await h.referralctl(["audit", "verify", "--admin", h.daemon.admin])
                let verified = try await HTTPGet.get(address, "/metrics").body
                h.expect(HTTPGet.sample(verified, "referral_audit_chain_intact") == 1, verified)
            }
        }

        /// The listener binds before the store opens: while another process holds the store's lock (the broker
        /// waits `store_lock_wait_ms` for it), /health is 200 and /ready 503; once the lock is free, /ready is 200.
        /// From SIGTERM on, /ready never answers 200 again.
        @Test func readyOnlyWhileTheStoreIsOpenAndNotStopping() async throws {
            var options = Self.listening
            options.storeLockWaitMs = 60_000
            try await withDaemon(options, start: false) { h in
                try FileManager.default.createDirectory(
                    atPath: h.daemon.dataDirectory, withIntermediateDirectories: true)
                let lockPath = h.daemon.dataDirectory + "/broker.sqlite.lock"
                let fd = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
                try h.require(fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) == 0, "cannot lock \(lockPath)")
                var locked = true
                defer { if locked { close(fd) } }

                try h.daemon.launchOnly()
                var address = ""
                try await h.eventually("the log names the HTTP listener's address") {
                    address = h.daemon.loggedHTTPAddress() ?? ""
                    return !address.isEmpty
                }
                try await h.eventually("the broker waits for the store's lock") {
                    h.daemon.stderrTail().contains("waiting for the store's lock")
                }
                h.expect(try await HTTPGet.get(address, "/health").status == 200, "/health while starting")
                let waiting = try await HTTPGet.get(address, "/ready")
                h.expect(waiting.status == 503 && waiting.body == "starting\n", "/ready while starting: \(waiting)")
                let metrics = try await HTTPGet.get(address, "/metrics").body
                h.expect(HTTPGet.sample(metrics, "referral_ready") == 0, "referral_ready while starting: \(metrics)")

                close(fd)
                locked = false
                try await h.eventually("/ready answers 200 once the store is open") {
                    try await HTTPGet.get(address, "/ready").status == 200
                }
                h.expect(h.daemon.httpAddress == address, "ready.json: \(h.daemon.httpAddress ?? "none")")

                let pid = try h.unwrap(h.daemon.pid, "no pid")
                kill(pid, SIGTERM)
                var answers: [Int] = []
                while h.daemon.isRunning, answers.count < 10_000 {
                    guard let answer = try? await HTTPGet.get(address, "/ready") else { break }
                    answers.append(answer.status)
                }
                h.expect(!answers.contains(200), "/ready answered 200 after SIGTERM: \(answers.prefix(20))")
            }
        }

        /// A listener other machines could reach needs TLS and a token: without them the broker does not start,
        /// and both `run` and `check-config` name the missing member.
        @Test func aListenerOffLoopbackWithoutTLSAndTokenRefusesToStart() async throws {
            var options = DaemonOptions()
            options.http = ["listen": "0.0.0.0:0"]
            try await withDaemon(options, start: false) { h in
                let refused = try await h.daemon.startExpectingRefusal()
                h.expect(refused.status == 78, "exit status \(refused.status): \(refused.output)")
                h.expect(refused.output.contains("http.tls_certificate_file"), refused.output)
                let check = try await h.daemon.runOnce(["check-config", "--config", h.daemon.configPath])
                h.expect(check.status == 78 && check.output.contains("http.tls_certificate_file"), check.output)
            }
            let folder = try Tool.temporaryFolder("http-tls")
            defer { try? FileManager.default.removeItem(atPath: folder) }
            let (certificate, key) = try await HTTPListenerTests.selfSigned(in: folder)
            options.http = ["listen": "0.0.0.0:0", "tls_certificate_file": certificate, "tls_key_file": key]
            try await withDaemon(options, start: false) { h in
                let refused = try await h.daemon.startExpectingRefusal()
                h.expect(refused.status == 78 && refused.output.contains("http.token_file"), refused.output)
            }
        }

        /// With TLS and a token: https only, 401 without the token or with another, 200 with it; /health needs
        /// none; a token file others can read is refused; the token never appears in the log.
        @Test func tlsAndTokenProtectEverythingButHealth() async throws {
            let folder = try Tool.temporaryFolder("http-tls")
            defer { try? FileManager.default.removeItem(atPath: folder) }
            let (certificate, key) = try await Self.selfSigned(in: folder)
            let token = "made-up-token-" + UUID().uuidString.lowercased()
            let tokenFile = folder + "/token"
            try DaemonProcess.writeKeyFile(token, to: tokenFile, mode: 0o644)
            var options = DaemonOptions()
            options.http = [
                "listen": "127.0.0.1:0", "tls_certificate_file": certificate, "tls_key_file": key,
                "token_file": tokenFile,
            ]
            try await withDaemon(options, start: false) { h in
                let refused = try await h.daemon.startExpectingRefusal()
                h.expect(refused.status == 78 && refused.output.contains("http.token_file"), refused.output)
                h.expect(!refused.output.contains(token), "the token appears in the log")

                chmod(tokenFile, 0o600)
                try await h.daemon.start()
                let address = try h.unwrap(h.daemon.httpAddress, "no http address")
                func curl(_ path: String, _ extra: [String] = []) async throws -> String {
                    let curl = try h.unwrap(Tool.find("curl"), "curl is not installed")
                    let result = try await Tool.run(
                        curl,
                        ["-s", "-o", "/dev/null", "-w", "%{http_code}", "--cacert", certificate]
                            + extra + ["https://\(address)\(path)"], seconds: 20)
                    return result.output
                }
                h.expect(try await curl("/health") == "200", "/health without the token")
                h.expect(try await curl("/metrics") == "401", "/metrics without the token")
                h.expect(try await curl("/ready") == "401", "/ready without the token")
                h.expect(
                    try await curl("/metrics", ["-H", "Authorization: Bearer \(token)x"]) == "401",
                    "/metrics with another token")
                h.expect(
                    try await curl("/metrics", ["-H", "Authorization: Bearer \(token)"]) == "200",
                    "/metrics with the token")
                h.expect(
                    try await curl("/ready", ["-H", "Authorization: Bearer \(token)"]) == "200", "/ready with the token"
                )
                let plain = try? await HTTPGet.get(address, "/health")
                h.expect(plain?.status != 200, "plain HTTP answered on the TLS listener")
                _ = try await h.daemon.terminate()
                let log = String(
                    decoding: FileManager.default.contents(atPath: h.daemon.stderrPath) ?? Data(), as: UTF8.self)
                h.expect(!log.contains(token), "the token appears in the daemon's log")
                h.expect(log.contains("http listening"), "no http listening line")
            }
        }

        /// A self-signed certificate for 127.0.0.1 (made with openssl for this test only).
        static func selfSigned(in folder: String) async throws -> (certificate: String, key: String) {
            let openssl = try #require(Tool.find("openssl"), "openssl is not installed")
            let (certificate, key) = (folder + "/cert.pem", folder + "/key.pem")
            let made = try await Tool.run(
                openssl,
                [
                    "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", certificate, "-days", "1",
                    "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
                ])
            try #require(made.status == 0, "openssl: \(made.output)")
            return (certificate, key)
        }
    }
}
