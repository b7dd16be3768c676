import Foundation
import ReferralProtocol
import Testing

@testable import AgencyDirectory

@Suite("Authorization policy")
struct PolicyTests {
    static let senders: [String: DirectoryEntry] = [
        "school": entry("school", .education, "school", "350102001", key: 1),
        "director": entry("director", .civilAffairs, "child-director", "350102100201", key: 2),
        "hospital": entry("hospital", .health, "child-psychology-clinic", "350102", key: 3),
        "hotline": entry("hotline", .youthLeague, "hotline", "350100", key: 4),
        "station": entry("station", .womensFederation, "family-education-station", "350102", key: 5),
        "police": entry("police", .publicSecurity, "police-station", "350102001", key: 6),
    ]

    static let referrers = ["school", "director", "hospital", "hotline", "station"]
    static let everyone = referrers + ["police"]

    /// (kind, who may send it under the default policy)
    static let table: [(String, [String])] = [
        ("referral.request", referrers),
        ("referral.received", ["hospital"]),
        ("referral.accepted", ["hospital"]),
        ("referral.declined", ["hospital"]),
        ("referral.appointment", ["hospital"]),
        ("referral.no-show", ["hospital"]),
        ("referral.interim", ["hospital"]),
        ("referral.completed", ["hospital"]),
        ("referral.cancelled", referrers),
        ("discharge.notice", ["hospital"]),
        ("followup.visit", referrers),
        ("followup.closed", everyone),
        ("crisis.alert", everyone),
        ("crisis.acknowledged", everyone),
        ("escalation.notice", []),
        ("referral.reopened", []),
        ("referral", []),
        ("chat.message", []),
    ]

    @Test(arguments: table)
    func defaultPolicy(kind: String, allowed: [String]) {
        for (name, sender) in Self.senders {
            let decision = Policy.default.check(sender: sender, kind: kind)
            if allowed.contains(name) {
                #expect(decision == .allowed, "\(name) should send \(kind)")
            } else {
                guard case .denied = decision else {
                    Issue.record("\(name) must not send \(kind)")
                    continue
                }
            }
        }
    }

    @Test func denialsNameTheRule() throws {
        let school = try #require(Self.senders["school"])
        #expect(
            Policy.default.check(sender: school, kind: "discharge.notice")
                == .denied(
                    reason:
                        #"denied by policy rule "discharge" (rules[5]): discharge.notice may be sent only by health; school is education/school"#
                ))
        #expect(
            Policy.default.check(sender: school, kind: "escalation.notice")
                == .denied(
                    reason:
                        #"denied by policy rule "broker-only" (rules[0]): no node may send escalation.notice; only the broker does"#
                ))
        #expect(
            Policy.default.check(sender: school, kind: "chat.message")
                == .denied(
                    reason:
                        "no policy rule covers kind chat.message; kinds without a rule are denied"))
        #expect(Policy.default.check(sender: school, kind: "Bad Kind") == .denied(reason: "not a message kind"))
        // A misspelled kind is answered with the nearest kind a rule names.
        #expect(
            Policy.default.check(sender: school, kind: "referral.requst")
                == .denied(
                    reason:
                        #"no policy rule covers kind referral.requst; kinds without a rule are denied; did you mean "referral.request"?"#
                ))
    }

    @Test func suspendedSenderIsDenied() throws {
        var hospital = try #require(Self.senders["hospital"])
        hospital.state = .suspended
        #expect(
            Policy.default.check(sender: hospital, kind: "crisis.alert")
                == .denied(reason: "node hospital is suspended"))
    }

    @Test func customPolicyFile() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("policy.json")
        try Data(
            #"""
            {
              "version": 1,
              "rules": [
                { "name": "broker-only", "kinds": ["escalation.notice"], "from": [] },
                { "name": "clinical", "kinds": ["referral.*", "discharge.notice"], "from": ["health/child-psychology-clinic"] },
                { "kinds": ["followup.*"], "from": ["education", "civil-affairs/*"] },
                { "kinds": ["*"], "from": ["public-security"] }
              ]
            }
            """#.utf8
        ).write(to: url)
        let policy = try Policy.load(file: url)
        #expect(policy.rules.count == 4)
        let senders = Self.senders
        #expect(policy.check(sender: senders["hospital"]!, kind: "referral.request") == .allowed)
        #expect(policy.check(sender: senders["hospital"]!, kind: "referral.anything-new") == .allowed)
        #expect(policy.check(sender: senders["hospital"]!, kind: "discharge.notice") == .allowed)
        #expect(
            policy.check(sender: senders["school"]!, kind: "referral.request")
                == .denied(
                    reason:
                        #"denied by policy rule "clinical" (rules[1]): referral.request may be sent only by health/child-psychology-clinic; school is education/school"#
                ))
        #expect(policy.check(sender: senders["school"]!, kind: "followup.visit") == .allowed)
        #expect(policy.check(sender: senders["director"]!, kind: "followup.closed") == .allowed)
        #expect(
            policy.check(sender: senders["hotline"]!, kind: "followup.visit")
                == .denied(
                    reason:
                        "denied by policy rule rules[2]: followup.visit may be sent only by education, civil-affairs/*; hotline is youth-league/hotline"
                ))
        #expect(policy.check(sender: senders["police"]!, kind: "crisis.alert") == .allowed)
        // First match decides: the catch-all comes after the broker-only rule.
        #expect(policy.check(sender: senders["police"]!, kind: "escalation.notice") != .allowed)
        #expect(policy.check(sender: senders["police"]!, kind: "referral.request") != .allowed)
    }

    @Test(arguments: [
        (#"{"rules":[]}"#, "policy.json: version: is required (1)"),
        (#"{"version":1}"#, "policy.json: rules: is required"),
        (#"{"version":1,"rules":[],"default":"allow"}"#, "policy.json: default: unknown key"),
        (
            #"{"version":1,"rules":[{"kinds":["a.b"],"from":["*"],"agency":"x"}]}"#,
            "policy.json: rules[0]: agency: unknown key"
        ),
        (#"{"version":1,"rules":[{"from":["*"]}]}"#, "policy.json: rules[0]: kinds: is required"),
        (#"{"version":1,"rules":[{"kinds":["a.b"]}]}"#, "policy.json: rules[0]: from: is required"),
        (
            #"{"version":1,"rules":[{"kinds":[],"from":[]}]}"#,
            "policy.json: rules[0]: kinds: must list at least one message kind pattern"
        ),
        (
            #"{"version":1,"rules":[{"kinds":["a.b", "A.b"],"from":[]}]}"#,
            #"policy.json: rules[0]: kinds[1]: "A.b" is not a message kind, kind.* or *"#
        ),
        (
            #"{"version":1,"rules":[{"kinds":["a.*.b"],"from":[]}]}"#,
            #"policy.json: rules[0]: kinds[0]: "a.*.b" is not a message kind, kind.* or *"#
        ),
        (
            #"{"version":1,"rules":[{"kinds":["a"],"from":["police"]}]}"#,
            #"policy.json: rules[0]: from[0]: "police" does not start with an agency (education, civil-affairs, health, youth-league, womens-federation, public-security)"#
        ),
        (
            #"{"version":1,"rules":[{"kinds":["a"],"from":["health/Bad"]}]}"#,
            #"policy.json: rules[0]: from[0]: "health/Bad" is not *, AGENCY, AGENCY/KIND or AGENCY/*"#
        ),
        (
            #"{"version":1,"rules":[{"name":"x","kinds":["a"],"from":[1]}]}"#,
            "policy.json: rules[0]: from[0]: must be a string, not a number"
        ),
        (
            #"{"version":1,"rules":[{"name":"x","kinds":["a"],"from":["healt"]}]}"#,
            #"policy.json: rules[0] (name "x"): from[0]: "healt" does not start with an agency (education, civil-affairs, health, youth-league, womens-federation, public-security)"#
        ),
        (
            #"{"version":1,"rules":[{"name":"","kinds":["a"],"from":[]}]}"#,
            "policy.json: rules[0]: name: must be 1-64 characters without control characters"
        ),
        (#"{"version":1,"rules":[7]}"#, "policy.json: rules[0]: must be a JSON object, not a number"),
    ])
    func policyFileErrorsNameTheField(json: String, expected: String) throws {
        let error = try #require(throws: ConfigurationError.self) {
            _ = try Policy.load(data: Data(json.utf8), file: "policy.json")
        }
        #expect(error.description == expected)
    }
}
