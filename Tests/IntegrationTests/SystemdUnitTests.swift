import Foundation
import Testing

/// deploy/systemd: the unit `systemd-analyze verify` accepts, hardened, starting referrald with flags it has; the
/// sysusers.d and tmpfiles.d files make the user and the private folders the unit and the configuration expect.
@Suite(.timeLimit(.minutes(1))) struct SystemdUnitTests {
    static let systemd = Locations.packageRoot.appendingPathComponent("deploy/systemd")

    static func file(_ name: String) throws -> String {
        try String(contentsOf: systemd.appendingPathComponent(name), encoding: .utf8)
    }

    /// The unit's `Key=value` lines (a key given more than once keeps every value).
    static func settings(_ unit: String = "referrald.service") throws -> [String: [String]] {
        var settings: [String: [String]] = [:]
        for line in try file(unit).split(separator: "\n") where !line.hasPrefix("#") {
            guard let equals = line.firstIndex(of: "=") else { continue }
            settings[String(line[..<equals]), default: []].append(String(line[line.index(after: equals)...]))
        }
        return settings
    }

    /// The non-comment lines of a sysusers.d or tmpfiles.d file, split into fields.
    static func entries(_ name: String) throws -> [[String]] {
        try file(name).split(separator: "\n").filter { !$0.hasPrefix("#") && !$0.allSatisfy(\.isWhitespace) }
            .map { $0.split(separator: " ", omittingEmptySubsequences: true).map(String.init) }
    }

    @Test func theUnitIsHardenedAndReloadsBySighup() throws {
        let unit = try Self.settings()
        let expected = [
            "User": "referrald", "Group": "referrald", "StateDirectory": "referrald",
            "ConfigurationDirectory": "referrald", "ProtectSystem": "strict", "ProtectHome": "yes",
            "PrivateTmp": "yes", "NoNewPrivileges": "yes", "Restart": "on-failure",
            // referrald reloads the directory, policies and calendar on SIGHUP (BrokerService).
            "ExecReload": "/bin/kill -HUP $MAINPID",
        ]
        for (key, value) in expected {
            #expect(unit[key] == [value], "\(key)= in referrald.service")
        }
        let stop = try #require(unit["TimeoutStopSec"]?.first.flatMap { Int($0) }, "TimeoutStopSec= in seconds")
        #expect(stop >= 10)
    }

    /// ExecStart uses only flags `referrald run --help` lists, and the store is the unit's StateDirectory.
    @Test func theUnitStartsReferraldWithFlagsItHas() async throws {
        let start = try #require(try Self.settings()["ExecStart"]?.first)
        let words = start.split(separator: " ").map(String.init)
        #expect(words.prefix(4) == ["/usr/bin/referrald", "run", "--config", "/etc/referrald/referrald.json"])
        #expect(start.contains("--data-directory /var/lib/referrald"))
        let referrald = try Locations.executable("referrald", variable: "REFERRALD_BIN")
        let help = try await Tool.run(referrald, ["run", "--help"]).output
        for flag in words where flag.hasPrefix("--") {
            #expect(help.contains(flag), "referrald run has no \(flag)")
        }
    }

    /// `systemd-analyze verify` with ExecStart pointed at the built referrald: no error and no warning.
    @Test func systemdAnalyzeVerifyAcceptsTheUnit() async throws {
        guard let analyze = Tool.find("systemd-analyze") else {
            print("SystemdUnitTests: systemd-analyze is not installed here; the unit is not verified")
            return
        }
        let referrald = try Locations.executable("referrald", variable: "REFERRALD_BIN")
        let folder = try Tool.temporaryFolder("unit")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let unit = try Self.file("referrald.service").replacingOccurrences(of: "/usr/bin/referrald", with: referrald)
        try unit.write(toFile: folder + "/referrald.service", atomically: true, encoding: .utf8)
        let result = try await Tool.run(analyze, ["verify", folder + "/referrald.service"])
        #expect(result.status == 0 && result.output.isEmpty, "systemd-analyze verify: \(result.output)")
    }

    @Test func sysusersAndTmpfilesMakeTheUserAndItsPrivateFolders() throws {
        #expect(try Self.entries("referrald.sysusers") == [
            ["u", "referrald", "-", "\"referrald", "referral", "broker\"", "/var/lib/referrald", "/usr/sbin/nologin"]
        ])
        let folders = Dictionary(
            try Self.entries("referrald.tmpfiles").map { ($0[1], $0) }, uniquingKeysWith: { first, _ in first })
        #expect(folders["/var/lib/referrald"] == ["d", "/var/lib/referrald", "0700", "referrald", "referrald", "-"])
        // The key folder: the broker refuses a secret key group or others can read.
        #expect(folders["/etc/referrald/keys"] == ["d", "/etc/referrald/keys", "0700", "referrald", "referrald", "-"])
    }

    /// systemd-sysusers and systemd-tmpfiles applied to an empty root make the user and the folders as listed.
    @Test func sysusersAndTmpfilesApplyToAnEmptyRoot() async throws {
        guard let sysusers = Tool.find("systemd-sysusers"), let tmpfiles = Tool.find("systemd-tmpfiles"),
            getuid() == 0
        else {
            print("SystemdUnitTests: systemd-sysusers/tmpfiles missing or not root; not applied to a root")
            return
        }
        let root = try Tool.temporaryFolder("root")
        defer { try? FileManager.default.removeItem(atPath: root) }
        for (name, folder) in [("referrald.sysusers", "usr/lib/sysusers.d"), ("referrald.tmpfiles", "usr/lib/tmpfiles.d")] {
            try FileManager.default.createDirectory(atPath: "\(root)/\(folder)", withIntermediateDirectories: true)
            try FileManager.default.copyItem(
                atPath: Self.systemd.appendingPathComponent(name).path, toPath: "\(root)/\(folder)/referrald.conf")
        }
        try FileManager.default.createDirectory(atPath: root + "/etc", withIntermediateDirectories: true)
        let users = try await Tool.run(sysusers, ["--root=\(root)", "referrald.conf"])
        #expect(users.status == 0, "systemd-sysusers: \(users.output)")
        let passwd = try String(contentsOfFile: root + "/etc/passwd", encoding: .utf8)
        let line = try #require(passwd.split(separator: "\n").first { $0.hasPrefix("referrald:") })
        let uid = try #require(Int(line.split(separator: ":")[2]))
        let folders = try await Tool.run(tmpfiles, ["--root=\(root)", "--create", "referrald.conf"])
        #expect(folders.status == 0, "systemd-tmpfiles: \(folders.output)")
        for path in ["/var/lib/referrald", "/etc/referrald/keys"] {
            let attributes = try FileManager.default.attributesOfItem(atPath: root + path)
            #expect((attributes[.posixPermissions] as? Int) == 0o700, "\(path) mode")
            #expect((attributes[.ownerAccountID] as? NSNumber)?.intValue == uid, "\(path) owner")
        }
    }

    // MARK: - The node gateway's unit

    /// referral-gateway.service: its own user and folders, the same hardening as the broker's, SIGHUP on reload.
    @Test func theGatewayUnitIsHardenedAndReloadsBySighup() throws {
        let gateway = try Self.settings("referral-gateway.service")
        let broker = try Self.settings()
        let expected = [
            "User": "referral-gateway", "Group": "referral-gateway", "StateDirectory": "referral-gateway",
            "ConfigurationDirectory": "referral-gateway", "Restart": "on-failure",
            "ExecReload": "/bin/kill -HUP $MAINPID", "RestartPreventExitStatus": "78",
        ]
        for (key, value) in expected {
            #expect(gateway[key] == [value], "\(key)= in referral-gateway.service")
        }
        // Every hardening setting of the broker's unit, with the same value.
        let hardening = [
            "NoNewPrivileges", "ProtectSystem", "ProtectHome", "PrivateTmp", "PrivateDevices", "ProtectKernelTunables",
            "ProtectKernelModules", "ProtectKernelLogs", "ProtectControlGroups", "ProtectClock", "ProtectHostname",
            "ProtectProc", "ProcSubset", "RestrictAddressFamilies", "RestrictNamespaces", "RestrictRealtime",
            "RestrictSUIDSGID", "LockPersonality", "MemoryDenyWriteExecute", "RemoveIPC", "CapabilityBoundingSet",
            "AmbientCapabilities", "SystemCallArchitectures", "SystemCallFilter", "UMask", "StateDirectoryMode",
        ]
        for key in hardening {
            #expect(gateway[key] != nil && gateway[key] == broker[key], "\(key)= in referral-gateway.service")
        }
    }

    /// ExecStart uses only flags `referral-gateway --help` lists.
    @Test func theGatewayUnitStartsTheGatewayWithFlagsItHas() async throws {
        let start = try #require(try Self.settings("referral-gateway.service")["ExecStart"]?.first)
        let words = start.split(separator: " ").map(String.init)
        #expect(
            words.prefix(3) == ["/usr/bin/referral-gateway", "--config", "/etc/referral-gateway/referral-gateway.json"])
        let gateway = try Locations.executable("referral-gateway", variable: "REFERRAL_GATEWAY_BIN")
        let help = try await Tool.run(gateway, ["--help"]).output
        for flag in words where flag.hasPrefix("--") {
            #expect(help.contains(flag), "referral-gateway has no \(flag)")
        }
    }

    /// `systemd-analyze verify` with ExecStart pointed at the built gateway: no error and no warning.
    @Test func systemdAnalyzeVerifyAcceptsTheGatewayUnit() async throws {
        guard let analyze = Tool.find("systemd-analyze") else {
            print("SystemdUnitTests: systemd-analyze is not installed here; the gateway unit is not verified")
            return
        }
        let gateway = try Locations.executable("referral-gateway", variable: "REFERRAL_GATEWAY_BIN")
        let folder = try Tool.temporaryFolder("unit")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let unit = try Self.file("referral-gateway.service")
            .replacingOccurrences(of: "/usr/bin/referral-gateway", with: gateway)
        try unit.write(toFile: folder + "/referral-gateway.service", atomically: true, encoding: .utf8)
        let result = try await Tool.run(analyze, ["verify", folder + "/referral-gateway.service"])
        #expect(result.status == 0 && result.output.isEmpty, "systemd-analyze verify: \(result.output)")
    }

    @Test func theGatewaysSysusersAndTmpfilesMakeItsUserAndPrivateFolders() throws {
        #expect(
            try Self.entries("referral-gateway.sysusers") == [
                [
                    "u", "referral-gateway", "-", "\"referral-gateway", "node", "gateway\"",
                    "/var/lib/referral-gateway",
                    "/usr/sbin/nologin",
                ]
            ])
        let folders = Dictionary(
            try Self.entries("referral-gateway.tmpfiles").map { ($0[1], $0) }, uniquingKeysWith: { first, _ in first })
        #expect(
            folders["/var/lib/referral-gateway"]
                == ["d", "/var/lib/referral-gateway", "0700", "referral-gateway", "referral-gateway", "-"])
        // Node secret keys and webhook secrets: the gateway refuses a secret others can read.
        #expect(
            folders["/etc/referral-gateway/keys"]
                == ["d", "/etc/referral-gateway/keys", "0700", "referral-gateway", "referral-gateway", "-"])
    }
}
