import Foundation
import Testing

/// scripts/package-deb, given the debug build's binaries: the package holds the binaries (the broker's and the
/// gateway's), their units, sysusers/tmpfiles and man pages, and an example configuration `referrald check-config`
/// accepts; its control fields and maintainer scripts are right.
@Suite(.serialized, .timeLimit(.minutes(2))) struct DebianPackageTests {
    /// Builds the package into a fresh folder; returns the folder and the .deb's path.
    static func buildPackage() async throws -> (folder: String, deb: String) {
        guard Tool.find("dpkg-deb") != nil else { throw HarnessError("dpkg-deb is not installed (scripts/setup)") }
        let folder = try Tool.temporaryFolder("deb")
        let binaries = folder + "/bin"
        try FileManager.default.createDirectory(atPath: binaries, withIntermediateDirectories: true)
        for (name, variable) in [
            ("referrald", "REFERRALD_BIN"), ("referralctl", "REFERRALCTL_BIN"),
            ("referral-gateway", "REFERRAL_GATEWAY_BIN"),
        ] {
            try FileManager.default.createSymbolicLink(
                atPath: "\(binaries)/\(name)", withDestinationPath: try Locations.executable(name, variable: variable))
        }
        let script = Locations.packageRoot.appendingPathComponent("scripts/package-deb").path
        // The debug build loads the toolchain's Swift runtime: allowed for this test package only.
        let result = try await Tool.run(
            script, ["--binaries", binaries, "--out", folder + "/out", "--allow-swift-runtime", "--fast"])
        #expect(result.status == 0, "scripts/package-deb: \(result.output)")
        let deb = try #require(result.output.split(separator: "\n").last.map(String.init))
        #expect(deb.hasSuffix(".deb") && FileManager.default.fileExists(atPath: deb), "\(result.output)")
        return (folder, deb)
    }

    @Test func thePackageHoldsTheBrokerItsUnitAndItsConfiguration() async throws {
        let (folder, deb) = try await Self.buildPackage()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let contents = try await Tool.run("/usr/bin/dpkg-deb", ["--contents", deb])
        let paths = Set(contents.output.split(separator: "\n").compactMap { $0.split(separator: " ").last })
        for path in [
            "./usr/bin/referrald", "./usr/bin/referralctl", "./lib/systemd/system/referrald.service",
            "./usr/lib/sysusers.d/referrald.conf", "./usr/lib/tmpfiles.d/referrald.conf",
            "./etc/referrald/referrald.json", "./etc/referrald/directory.json",
            "./usr/share/doc/referrald/copyright", "./usr/share/doc/referrald/changelog.gz",
            "./usr/share/doc/referrald/README.md", "./usr/share/doc/referrald/RUNBOOK.md",
            "./usr/share/man/man8/referrald.8.gz", "./usr/share/man/man1/referralctl.1.gz",
            "./usr/share/doc/referrald/examples/fujian/directory.json",
            "./usr/share/doc/referrald/examples/prometheus/referrald-alerts.yml",
            "./usr/share/doc/referrald/examples/grafana/referrald.json",
            // The node gateway: binary, unit, user and folders, man page, example configuration, alert rules.
            "./usr/bin/referral-gateway", "./lib/systemd/system/referral-gateway.service",
            "./usr/lib/sysusers.d/referral-gateway.conf", "./usr/lib/tmpfiles.d/referral-gateway.conf",
            "./usr/share/man/man8/referral-gateway.8.gz", "./usr/share/doc/referrald/referral-gateway.example.json",
            "./usr/share/doc/referrald/examples/prometheus/referral-gateway-alerts.yml",
        ] {
            #expect(paths.contains(Substring(path)), "\(path) is not in the package: \(contents.output)")
        }
        #expect(!paths.contains { $0.contains("/keys/") }, "no key is shipped: made at install")
        #expect(contents.output.contains("root/root"), "files belong to root (--root-owner-group)")
    }

    @Test func theControlFieldsNameTheVersionAndTheLibraries() async throws {
        let (folder, deb) = try await Self.buildPackage()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let referrald = try Locations.executable("referrald", variable: "REFERRALD_BIN")
        let version = try await Tool.run(referrald, ["--version"]).output.trimmingCharacters(in: .whitespacesAndNewlines)
        var fields: [String: String] = [:]
        for field in ["Package", "Version", "Architecture", "Depends", "Maintainer", "Description"] {
            fields[field] = try await Tool.run("/usr/bin/dpkg-deb", ["--field", deb, field]).output
                .trimmingCharacters(in: .whitespacesAndNewlines)
        }
        #expect(fields["Package"] == "referrald")
        #expect(fields["Version"] == version)
        let depends = fields["Depends"] ?? ""
        #expect(depends.contains("libzmq5") && depends.contains("libsqlite3-0"), "Depends: \(depends)")
        #expect(fields["Maintainer"]?.isEmpty == false && fields["Description"]?.isEmpty == false)
        let info = try await Tool.run("/usr/bin/dpkg-deb", ["--info", deb]).output
        for script in ["postinst", "prerm", "postrm", "conffiles"] {
            #expect(info.contains(" \(script)"), "\(script) is not in the control archive: \(info)")
        }
    }

    /// The maintainer scripts are valid sh, call systemd's tools only when present, and list the conffiles.
    @Test func theMaintainerScriptsRunWithOrWithoutSystemd() async throws {
        let (folder, deb) = try await Self.buildPackage()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let control = folder + "/control"
        let extracted = try await Tool.run("/usr/bin/dpkg-deb", ["--control", deb, control])
        #expect(extracted.status == 0, "\(extracted.output)")
        for script in ["postinst", "prerm", "postrm"] {
            let syntax = try await Tool.run("/bin/sh", ["-n", "\(control)/\(script)"])
            #expect(syntax.status == 0, "\(script): \(syntax.output)")
            let text = try String(contentsOfFile: "\(control)/\(script)", encoding: .utf8)
            for tool in ["systemctl", "deb-systemd-helper", "deb-systemd-invoke", "systemd-sysusers", "systemd-tmpfiles"]
            where text.contains("\(tool) ") {
                #expect(text.contains("command -v \(tool)"), "\(script) runs \(tool) without checking it exists")
            }
        }
        let conffiles = try String(contentsOfFile: control + "/conffiles", encoding: .utf8)
        #expect(conffiles == "/etc/referrald/referrald.json\n/etc/referrald/directory.json\n")
    }

    /// The packaged configuration, with the key pair postinst makes, is one `referrald check-config` accepts.
    @Test func thePackagedConfigurationPassesCheckConfig() async throws {
        let (folder, deb) = try await Self.buildPackage()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let root = folder + "/root"
        let extracted = try await Tool.run("/usr/bin/dpkg-deb", ["-x", deb, root])
        #expect(extracted.status == 0, "\(extracted.output)")
        try FileManager.default.createDirectory(
            atPath: root + "/etc/referrald/keys", withIntermediateDirectories: true,
            attributes: [.posixPermissions: 0o700])
        let keygen = try await Tool.run(
            root + "/usr/bin/referralctl", ["keygen", "--out", root + "/etc/referrald/keys/broker"])
        #expect(keygen.status == 0, "referralctl keygen: \(keygen.output)")
        let check = try await Tool.run(
            root + "/usr/bin/referrald", ["check-config", "--config", root + "/etc/referrald/referrald.json"])
        #expect(check.status == 0, "referrald check-config: \(check.output)")
        let configuration = try JSONSerialization.jsonObject(
            with: Data(contentsOf: URL(fileURLWithPath: root + "/etc/referrald/referrald.json"))) as? [String: Any]
        #expect(configuration?["data_directory"] as? String == "/var/lib/referrald")
    }

    /// lintian (scripts/setup installs it; skipped where missing): no error and no warning. The test package holds
    /// the debug build, whose RUNPATH names the toolchain (custom-library-search-path): a release package built by
    /// scripts/package-deb links the Swift runtime in and has none, so that tag alone is suppressed here.
    @Test func lintianFindsNoErrorOrWarning() async throws {
        guard let lintian = Tool.find("lintian") else {
            print("DebianPackageTests: lintian is not installed here; the package is not linted")
            return
        }
        let (folder, deb) = try await Self.buildPackage()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let result = try await Tool.run(
            lintian, ["--tag-display-limit", "0", "--suppress-tags", "custom-library-search-path", deb], seconds: 100)
        print("lintian:\n\(result.output)")
        let findings = result.output.split(separator: "\n").filter { $0.hasPrefix("E: ") || $0.hasPrefix("W: ") }
        #expect(findings.isEmpty, "lintian: \(findings)")
    }
}
