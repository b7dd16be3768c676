import AgencyDirectory
import CaseCore
import Foundation
import Testing
import ZeroMQ

@testable import Broker
@testable import BrokerMachine

/// deploy/fujian, the sample production configuration of a provincial broker, loaded by the daemon's own loaders
/// (the same `checkFiles` that `referrald check-config` and `run` use), with a broker key made in a temporary copy.
@Suite struct FujianDeploymentTests {
    static let folder = DeployExamplesTests.deploy + "/fujian"

    /// A copy of deploy/fujian with a fresh broker key pair in keys/ (no key is committed); returns its
    /// referrald.json's path.
    static func copyWithKey() throws -> String {
        let copy = NSTemporaryDirectory() + "fujian-\(UUID().uuidString.prefix(8))"
        try FileManager.default.copyItem(atPath: folder, toPath: copy)
        try FileManager.default.createDirectory(
            atPath: copy + "/keys", withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        _ = try KeyFiles.write(prefix: copy + "/keys/broker")
        return copy + "/referrald.json"
    }

    static func jurisdiction() throws -> Jurisdiction {
        let configuration = try BrokerConfiguration.load(file: folder + "/referrald.json")
        return try Jurisdiction.load(configuration, divisions: try Jurisdiction.divisions(configuration))
    }

    @Test func everyFileTheConfigurationNamesLoads() throws {
        let path = try Self.copyWithKey()
        defer { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
        let configuration = try BrokerConfiguration.load(file: path)
        try configuration.validate(source: path)
        #expect(!configuration.insecurePlaintext)
        for file in [configuration.policyFile, configuration.escalationPolicyFile, configuration.calendarFile] {
            #expect(!file.isEmpty && FileManager.default.fileExists(atPath: file), "\(file)")
        }
        let summary = try configuration.checkFiles()
        #expect(summary.contains("nodes"), "\(summary)")
    }

    /// The province, all nine prefecture-level cities and Pingtan have nodes; every agency has a provincial bureau.
    @Test func theDirectoryCoversTheProvinceItsCitiesAndPingtan() throws {
        let directory = try Self.jurisdiction().directory
        let entries = directory.allEntries
        for city in 1...9 {
            let code = "35\(String(format: "%02d", city))00"
            #expect(entries.contains { $0.division == code && $0.kind == "city-bureau" }, "no city bureau in \(code)")
        }
        #expect(entries.contains { $0.division.hasPrefix("350128") && $0.kind == "child-director" }, "Pingtan")
        for agency in Agency.allCases {
            #expect(entries.contains { $0.agency == agency && $0.kind == "provincial-bureau" }, "\(agency)")
        }
        #expect(entries.allSatisfy { $0.name.hasSuffix("(sample)") }, "names are made up and say so")
    }

    /// Every node that is not a provincial bureau escalates, level by level, to its agency's provincial bureau;
    /// a village child director first to its township's child supervisor (the brief's chain).
    @Test func everyNodeEscalatesToItsProvincialBureau() throws {
        let directory = try Self.jurisdiction().directory
        let entries = directory.allEntries
        for entry in entries where entry.kind != "provincial-bureau" {
            let chain = directory.escalationChain(of: entry.id)
            let top = entries.first { $0.agency == entry.agency && $0.kind == "provincial-bureau" }
            #expect(chain.last == top.map { [$0.id] }, "\(entry.id) escalates along \(chain)")
            if entry.kind == "child-director" {
                let first = try #require(chain.first?.first.flatMap { directory.entry(id: $0) })
                #expect(first.kind == "township-supervisor", "\(entry.id) escalates first to \(first.id)")
            }
        }
    }

    /// The authorization policy: referrers refer, only clinical services answer and discharge, nobody sends
    /// escalation notices, anyone reports a crisis.
    @Test func thePolicyLetsEachAgencySendWhatTheBriefSays() throws {
        let jurisdiction = try Self.jurisdiction()
        func allowed(_ id: String, _ kind: String) throws -> Bool {
            let sender = try #require(jurisdiction.entry(id), "\(id)")
            return jurisdiction.policy.check(sender: sender, kind: kind) == .allowed
        }
        #expect(try allowed("pingtan-school-1", "referral.request"))
        #expect(try allowed("pingtan-child-psych", "referral.accepted"))
        #expect(try allowed("fz-psychiatric", "discharge.notice"))
        #expect(try allowed("pingtan-haitan-police", "crisis.alert"))
        #expect(try allowed("jn-suixi-director-1", "followup.visit"))
        #expect(try !allowed("pingtan-school-1", "discharge.notice"))
        #expect(try !allowed("pingtan-health-bureau", "referral.accepted"), "a bureau is not a clinical service")
        #expect(try !allowed("fj-civil-affairs", "escalation.notice"))
        #expect(try !allowed("pingtan-psb", "referral.request"))
    }

    /// The escalation policy file is the brief's table (crisis 1 min / 15 min, fan-out; urgent 24 h; routine
    /// 3 working days every 2), and the calendar is read.
    @Test func theEscalationPolicyIsTheBriefs() throws {
        let configuration = try BrokerConfiguration.load(file: Self.folder + "/referrald.json")
        let settings = try EscalationSettings.load(configuration)
        let minute: Int64 = 60_000
        let crisis = settings.policies.policy(for: "crisis.alert", level: .crisis)
        #expect(crisis.deliveryMs == minute && crisis.answerMs == 15 * minute && crisis.repeatMs == 15 * minute)
        #expect(crisis.fanOut && crisis.clock == .continuous && crisis.maxSteps == nil)
        let urgent = settings.policies.policy(for: "referral.request", level: .urgent)
        #expect(urgent.answerMs == 24 * 60 * minute && urgent.clock == .workingDays && !urgent.fanOut)
        let routine = settings.policies.policy(for: "referral.request", level: .routine)
        #expect(routine.answerMs == 3 * 24 * 60 * minute && routine.repeatMs == 2 * 24 * 60 * minute)
        #expect(settings.policies.revision != EscalationPolicies.default.revision)
    }
}
