import Foundation
import Testing

extension DaemonSuite {
    /// What an operator sees of a PostgreSQL store (issue 12): `referralctl status` and ADMIN-1 STATUS `store` name
    /// the active instance, its lease epoch and the database; /metrics tells active or standby; a standby's admin
    /// endpoint answers NOT_ACTIVE naming the active instance.
    @Suite(
        "Status of a PostgreSQL store",
        .enabled(
            if: DaemonStoreBackend.clusterAvailable,
            "REFERRAL_TEST_PG_URL is not set: these tests need a PostgreSQL cluster (scripts/test starts one)"))
    struct PostgresStatusTests {
        @Test func statusAndMetricsShowTheActiveInstanceAndAStandbyPointsToIt() async throws {
            var options = DaemonOptions()
            options.postgresql = true
            options.instance = "broker-a"
            options.endpoint = "tcp://127.0.0.1:\(try FailoverTests.freePort())"
            options.http = ["listen": "127.0.0.1:0"]
            try await withDaemon(options) { h in
                // STATUS `store`: filled in once the background read of the lease came back.
                var store: [String: Any] = [:]
                try await h.eventually("STATUS shows the lease") {
                    store = try await h.status()["store"] as? [String: Any] ?? [:]
                    return store["lease"] != nil
                }
                h.expect(store["backend"] as? String == "postgresql", "\(store)")
                h.expect(store["role"] as? String == "active" && store["instance"] as? String == "broker-a", "\(store)")
                let lease = store["lease"] as? [String: Any] ?? [:]
                h.expect((lease["epoch"] as? Int ?? 0) >= 1 && lease["holder"] as? String == "broker-a", "\(lease)")
                let database = store["database"] as? [String: Any] ?? [:]
                h.expect(database["in_recovery"] as? Bool == false, "the store's server is not a primary: \(database)")

                let shown = try await h.referralctl(["status", "--admin", h.daemon.admin])
                h.expect(shown.status == 0, "referralctl status: \(shown.stderr)")
                h.expect(
                    shown.stdout.contains("store postgresql  role active  instance broker-a  lease epoch "),
                    shown.stdout)
                h.expect(shown.stdout.contains(" primary, standbys: "), shown.stdout)

                let address = try h.unwrap(h.daemon.httpAddress, "no HTTP address in ready.json")
                let metrics = try await HTTPGet.get(address, "/metrics").body
                h.expect(HTTPGet.sample(metrics, "referral_broker_active") == 1, metrics)
                h.expect((HTTPGet.sample(metrics, "referral_lease_epoch") ?? 0) >= 1, metrics)
                h.expect(
                    HTTPGet.sample(metrics, "referral_store_backend_info", ["backend": "postgresql"]) == 1, metrics)
                try await h.eventually("a renewal is counted") {
                    let text = try await HTTPGet.get(address, "/metrics").body
                    return (HTTPGet.sample(text, "referral_lease_renewals_total", ["result": "ok"]) ?? 0) >= 1
                }

                // A second instance waits as a standby: its admin endpoint names broker-a, its /metrics answers.
                let standbyPort = try FailoverTests.freePort()
                let standby = try DaemonProcess(
                    sibling: h.daemon, instance: "broker-b",
                    endpoint: "tcp://127.0.0.1:\(try FailoverTests.freePort())")
                defer { standby.killNow() }
                try Self.setHTTPListen("127.0.0.1:\(standbyPort)", in: standby.configPath)
                try standby.launchOnly()
                try await h.eventually("broker-b waits as a standby") {
                    standby.stderrTail().contains("standby: waiting for the lease")
                }
                var refused: (status: Int32, stdout: String, stderr: String) = (0, "", "")
                try await h.eventually("the standby names the active instance") {
                    refused = try await h.referralctl(["status", "--admin", standby.admin])
                    return refused.stderr.contains("broker-a")
                }
                h.expect(refused.status == 1 && refused.stderr.contains("NOT_ACTIVE"), refused.stderr)
                let standbyMetrics = try await HTTPGet.get("127.0.0.1:\(standbyPort)", "/metrics")
                h.expect(standbyMetrics.status == 200, "a standby's /metrics: \(standbyMetrics.status)")
                h.expect(HTTPGet.sample(standbyMetrics.body, "referral_broker_active") == 0, standbyMetrics.body)
                h.expect(HTTPGet.sample(standbyMetrics.body, "referral_ready") == 0, standbyMetrics.body)
                h.expect(HTTPGet.sample(standbyMetrics.body, "referral_lease_epoch") == nil, standbyMetrics.body)
            }
        }

        /// The sibling copies the first instance's `http`; a standby needs a port of its own.
        static func setHTTPListen(_ listen: String, in configPath: String) throws {
            let url = URL(fileURLWithPath: configPath)
            var config = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any] ?? [:]
            config["http"] = ["listen": listen]
            try JSONSerialization.data(withJSONObject: config, options: [.prettyPrinted, .sortedKeys]).write(to: url)
        }
    }
}
