import Foundation
import Testing

/// Every file in deploy/ is parsed and validated by some test (issue 10): this suite lists each file with the check
/// that covers it, runs the checks that need the built binaries (`referrald check-config` on every broker
/// configuration, `print-config` without secrets, the man pages through groff), and fails on a file nobody checks.
@Suite(.serialized, .timeLimit(.minutes(1))) struct DeployFilesTests {
    static let deploy = Locations.packageRoot.appendingPathComponent("deploy")

    /// Which check covers each file of deploy/ (a path relative to deploy/, or a folder ending in /).
    static let checks: [(path: String, check: String)] = [
        ("README.md", "DeployDocumentationTests"),
        ("referrald.example.json", "referrald check-config here; DeployExamplesTests"),
        ("referrald-postgresql.example.json", "DeployExamplesTests (loads and validates; print-config here)"),
        ("directory.example.json", "DeployExamplesTests (the directory loader); check-config here"),
        ("node.example.json", "JSON here (its keys are placeholders a node refuses until replaced)"),
        ("referral-gateway.example.json", "GatewayMetricsTests, GatewayOpenAPIDocumentTests (the gateway's loader)"),
        ("referral-gateway-applications.example.json", "GatewayConfigurationTests (the applications loader)"),
        ("fujian/referrald.json", "referrald check-config here; FujianDeploymentTests"),
        ("fujian/directory.json", "FujianDeploymentTests (directory loader, chains); check-config here"),
        ("fujian/policy.json", "FujianDeploymentTests (policy loader and decisions); check-config here"),
        ("fujian/escalation-policy.json", "FujianDeploymentTests (escalation policy loader); check-config here"),
        ("fujian/calendar.json", "FujianDeploymentTests; check-config here"),
        ("fujian/README.md", "read by people"),
        ("postgresql/README.md", "read by people; the failover steps in RUNBOOK (RunbookTests)"),
        ("postgresql/patroni.example.yml", "here: strict synchronous replication, synchronous_commit on"),
        ("postgresql/etcd.example.conf", "here: three members"),
        ("postgresql/referral-roles.sql", "here: audit append-only for the runtime role, pg_monitor"),
        ("prometheus/referrald-alerts.yml", "MonitoringFilesTests (promtool check rules)"),
        ("prometheus/referrald-alerts.test.yml", "MonitoringFilesTests (promtool test rules)"),
        ("prometheus/referral-gateway-alerts.yml", "MonitoringFilesTests (promtool check rules)"),
        ("prometheus/referral-gateway-alerts.test.yml", "MonitoringFilesTests (promtool test rules)"),
        ("grafana/referrald.json", "MonitoringFilesTests (JSON, panels, PromQL through promtool)"),
        ("systemd/referrald.service", "SystemdUnitTests (systemd-analyze verify)"),
        ("systemd/referrald.sysusers", "SystemdUnitTests (systemd-sysusers)"),
        ("systemd/referrald.tmpfiles", "SystemdUnitTests (systemd-tmpfiles)"),
        ("systemd/referral-gateway.service", "SystemdUnitTests (systemd-analyze verify)"),
        ("systemd/referral-gateway.sysusers", "SystemdUnitTests (entries)"),
        ("systemd/referral-gateway.tmpfiles", "SystemdUnitTests (entries)"),
        ("debian/", "DebianPackageTests (control fields, sh -n of the maintainer scripts, conffiles, lintian)"),
        ("man/", "groff -man -ww -z here; DebianPackageTests installs them"),
    ]

    static func files() throws -> [String] {
        let enumerator = try #require(FileManager.default.enumerator(atPath: deploy.path))
        return enumerator.compactMap { $0 as? String }.filter { path in
            var folder: ObjCBool = false
            FileManager.default.fileExists(atPath: deploy.appendingPathComponent(path).path, isDirectory: &folder)
            return !folder.boolValue
        }.sorted()
    }

    @Test func everyFileInDeployHasACheck() throws {
        let files = try Self.files()
        #expect(files.count >= Self.checks.count)
        for file in files {
            let check = Self.checks.first { $0.path == file || ($0.path.hasSuffix("/") && file.hasPrefix($0.path)) }
            #expect(check != nil, "deploy/\(file) is checked by no test: add its check here and to the list")
        }
        for (path, _) in Self.checks where !path.hasSuffix("/") {
            #expect(files.contains(path), "deploy/\(path) is listed but missing")
        }
    }

    /// The PostgreSQL cluster's examples keep the durability the broker promises (docs/POSTGRESQL.md): a commit returns
    /// only once a synchronous standby has it, commits wait rather than go asynchronous, and only a synchronous
    /// standby may be promoted; etcd has three members; the broker's role cannot rewrite the audit trail.
    @Test func thePostgreSQLClusterExamplesKeepTheDurabilityPromise() throws {
        func text(_ file: String) throws -> String {
            try String(contentsOf: Self.deploy.appendingPathComponent("postgresql/" + file), encoding: .utf8)
        }
        let patroni = try text("patroni.example.yml")
        for setting in [
            "synchronous_mode: true", "synchronous_mode_strict: true", "synchronous_node_count: 1",
            #"synchronous_commit: "on""#,
        ] {
            #expect(patroni.contains(setting), "patroni.example.yml lacks \(setting)")
        }
        let etcd = try text("etcd.example.conf")
        let cluster = try #require(etcd.split(separator: "\n").first { $0.hasPrefix("ETCD_INITIAL_CLUSTER=") })
        #expect(cluster.split(separator: ",").count == 3, "\(cluster)")
        let roles = try text("referral-roles.sql")
        #expect(roles.contains("GRANT pg_monitor TO referral;"))
        #expect(roles.contains("REVOKE ALL ON referral.audit FROM referral;"))
        #expect(roles.contains("GRANT SELECT, INSERT ON referral.audit TO referral;"))
    }

    /// Every JSON file in deploy/ is one JSON object (the daemon's loaders check the rest in their suites).
    @Test func everyJSONFileParses() throws {
        for file in try Self.files() where file.hasSuffix(".json") {
            let data = try Data(contentsOf: Self.deploy.appendingPathComponent(file))
            #expect(
                (try? JSONSerialization.jsonObject(with: data)) is [String: Any], "deploy/\(file) is not a JSON object")
        }
    }

    /// A copy of a deploy/ folder with a fresh broker key where its configuration expects one.
    static func copy(_ folder: String, configuration: String) async throws -> (folder: String, config: String) {
        let copy = try Tool.temporaryFolder("deploy")
        for file in try FileManager.default.contentsOfDirectory(atPath: deploy.appendingPathComponent(folder).path)
        where file.hasSuffix(".json") {
            try FileManager.default.copyItem(
                atPath: deploy.appendingPathComponent(folder).appendingPathComponent(file).path,
                toPath: "\(copy)/\(file)")
        }
        try FileManager.default.createDirectory(
            atPath: copy + "/keys", withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let referralctl = try Locations.executable("referralctl", variable: "REFERRALCTL_BIN")
        let keygen = try await Tool.run(referralctl, ["keygen", "--out", copy + "/keys/broker"])
        #expect(keygen.status == 0, "\(keygen.output)")
        return (copy, "\(copy)/\(configuration)")
    }

    @Test(arguments: [("", "referrald.example.json"), ("fujian", "referrald.json")])
    func referraldCheckConfigAcceptsEveryBrokerConfiguration(_ folder: String, _ file: String) async throws {
        let (copy, config) = try await Self.copy(folder, configuration: file)
        defer { try? FileManager.default.removeItem(atPath: copy) }
        if folder.isEmpty {  // the example names directory.json beside it, as the package installs it
            try FileManager.default.copyItem(atPath: "\(copy)/directory.example.json", toPath: "\(copy)/directory.json")
        }
        let referrald = try Locations.executable("referrald", variable: "REFERRALD_BIN")
        let check = try await Tool.run(referrald, ["check-config", "--config", config])
        #expect(check.status == 0 && check.output.contains(": ok"), "referrald check-config: \(check.output)")
    }

    /// `referrald print-config`: the flags win over the file, paths are absolute, and the secret key's contents
    /// never appear, only its path.
    @Test func printConfigShowsTheConfigurationInForceWithoutTheSecretKey() async throws {
        let (copy, config) = try await Self.copy("fujian", configuration: "referrald.json")
        defer { try? FileManager.default.removeItem(atPath: copy) }
        let secret = try String(contentsOfFile: copy + "/keys/broker.key", encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(secret.count == 40)
        let referrald = try Locations.executable("referrald", variable: "REFERRALD_BIN")
        let result = try await Tool.run(
            referrald, ["print-config", "--config", config, "--log-level", "debug", "--data-directory", copy + "/d"])
        #expect(result.status == 0, "\(result.output)")
        #expect(!result.output.contains(secret), "the secret key is in print-config's output")
        let printed = try #require(
            try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any], "\(result.output)")
        #expect(printed["log_level"] as? String == "debug")
        #expect(printed["data_directory"] as? String == copy + "/d")
        #expect(printed["endpoint"] as? String == "tcp://0.0.0.0:5570")
        #expect((printed["curve"] as? [String: String])?["secret_key_file"] == copy + "/keys/broker.key")
        #expect(printed["policy_file"] as? String == copy + "/policy.json")
        let bad = try await Tool.run(referrald, ["print-config", "--config", config, "--log-level", "loud"])
        #expect(bad.status == 78 && bad.output.contains("log_level"), "\(bad.output)")
    }

    /// The PostgreSQL example prints with its store keys, defaults and paths as written (it names no secret).
    @Test func printConfigShowsThePostgreSQLExamplesStore() async throws {
        let referrald = try Locations.executable("referrald", variable: "REFERRALD_BIN")
        let config = Self.deploy.appendingPathComponent("referrald-postgresql.example.json").path
        let result = try await Tool.run(referrald, ["print-config", "--config", config])
        #expect(result.status == 0, "\(result.output)")
        let printed = try #require(
            try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any], "\(result.output)")
        #expect(printed["instance"] as? String == "broker-a")
        let store = try #require(printed["store"] as? [String: Any])
        #expect(store["backend"] as? String == "postgresql")
        let database = try #require(store["postgresql"] as? [String: Any])
        #expect((database["hosts"] as? [String])?.count == 3)
        #expect(database["password_file"] as? String == "/etc/referrald/pg-password")
        #expect(database["password"] == nil)
        #expect((store["lease"] as? [String: Int])?["ttl_ms"] == 3_000)
    }

    /// The man pages: groff finds no problem (-ww: every warning) and they name every subcommand of --help.
    @Test(arguments: [
        ("referrald.8", "referrald", "REFERRALD_BIN"), ("referralctl.1", "referralctl", "REFERRALCTL_BIN"),
    ])
    func theManPagesAreCleanAndNameEveryCommand(_ page: String, _ tool: String, _ variable: String) async throws {
        let path = Self.deploy.appendingPathComponent("man/\(page)").path
        let groff = try #require(Tool.find("groff"), "groff is not installed (groff-base, with man-db)")
        let result = try await Tool.run(groff, ["-man", "-ww", "-z", "-t", path])
        #expect(result.status == 0 && result.output.isEmpty, "groff -man -ww -z \(page): \(result.output)")
        let text = try String(contentsOfFile: path, encoding: .utf8).replacingOccurrences(of: "\\-", with: "-")
        let help = try await Tool.run(try Locations.executable(tool, variable: variable), ["--help"]).output
        // A subcommand's line is indented by two spaces; its description's next lines by more.
        let subcommands = (help.components(separatedBy: "SUBCOMMANDS:").last ?? "").split(separator: "\n")
            .filter { $0.hasPrefix("  ") && $0.dropFirst(2).first?.isLetter == true }
            .compactMap { $0.split(separator: " ").first.map(String.init) }
        #expect(subcommands.count >= 4, "read from --help: \(subcommands)")
        for subcommand in subcommands where subcommand != "See" {
            #expect(
                text.contains("B \(subcommand)") || text.contains("B \(tool) \(subcommand)"),
                "\(page) does not describe \(subcommand)")
        }
    }

    /// referral-gateway(8): groff finds no problem and it names every flag of `referral-gateway --help`.
    @Test func theGatewayManPageIsCleanAndNamesEveryFlag() async throws {
        let path = Self.deploy.appendingPathComponent("man/referral-gateway.8").path
        let groff = try #require(Tool.find("groff"), "groff is not installed (groff-base, with man-db)")
        let result = try await Tool.run(groff, ["-man", "-ww", "-z", "-t", path])
        #expect(result.status == 0 && result.output.isEmpty, "groff -man -ww -z referral-gateway.8: \(result.output)")
        let text = try String(contentsOfFile: path, encoding: .utf8).replacingOccurrences(of: "\\-", with: "-")
        let gateway = try Locations.executable("referral-gateway", variable: "REFERRAL_GATEWAY_BIN")
        let help = try await Tool.run(gateway, ["--help"]).output
        let options = help.components(separatedBy: "OPTIONS:").last ?? ""
        let flags = Set(
            options.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "," || $0 == "<" })
                .filter { $0.hasPrefix("--") }.map(String.init))
        #expect(
            flags.isSuperset(of: ["--config", "--log-level", "--log-format", "--check-config", "--version"]), "\(flags)"
        )
        for flag in flags {
            #expect(text.contains(flag), "referral-gateway.8 does not name \(flag)")
        }
    }
}
