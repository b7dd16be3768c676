import Foundation
import Testing

@testable import AgencyDirectory

@Suite("Routing by jurisdiction")
struct RoutingTests {
    @Test func addressGrammar() throws {
        #expect(try Address(parsing: "gl-school-1") == .node("gl-school-1"))
        #expect(try Address(parsing: "node:gl-school-1") == .node("gl-school-1"))
        #expect(
            try Address(parsing: "role:health/psychiatric-clinic@350102")
                == .role(agency: "health", kind: "psychiatric-clinic", division: "350102"))
        #expect(
            try Address(parsing: "role:civil-affairs/*@350102100201")
                == .role(agency: "civil-affairs", kind: nil, division: "350102100201"))
        #expect(Address.role(agency: "health", kind: nil, division: "35").description == "role:health/*@35")
        #expect(Address.node("a").description == "node:a")
    }

    @Test(arguments: [
        "", "node:", "Node:a", "GL-SCHOOL", "role:", "role:health", "role:health/clinic", "role:health@350102",
        "role:Health/clinic@350102", "role:health/clinic@", "role:health/clinic@3501x2", "role:health@350102/clinic",
        "role:health/cli nic@350102", "role:/clinic@350102", "role:health/**@350102", "node:node:a", "a:b",
        "role:health/clinic@3501020010011",
    ])
    func malformedAddresses(text: String) throws {
        let directory = try demoDirectory()
        #expect(throws: ResolutionFailure.self) { try Address(parsing: text) }
        #expect(failure(directory.resolve(text))?.code == .malformedAddress)
    }

    @Test func nodeAddressesNewAndPlain() throws {
        let directory = try demoDirectory()
        #expect(directory.resolve("gl-school-1") == .nodes(["gl-school-1"], via: nil))
        #expect(directory.resolve("node:gl-school-1") == .nodes(["gl-school-1"], via: nil))
        #expect(failure(directory.resolve("node:gl-school-9"))?.code == .unknownNode)
        #expect(failure(directory.resolve("gl-school-9"))?.code == .unknownNode)
        #expect(ResolutionFailure.Code.unknownNode.rawValue == "UNKNOWN_RECIPIENT")
    }

    /// A misspelled node id, agency or node kind is answered with the nearest known one (issue 8, item 19).
    @Test func misspellingsSuggestTheNearestName() throws {
        let directory = try demoDirectory()
        let node = try #require(failure(directory.resolve("gl-schol-1")))
        #expect(node.code == .unknownNode && node.reason.hasSuffix(#"did you mean "gl-school-1"?"#), "\(node)")
        let agency = try #require(failure(directory.resolve("role:helth/*@350102")))
        #expect(agency.code == .unknownAgency && agency.reason.hasSuffix(#"did you mean "health"?"#), "\(agency)")
        let kind = try #require(failure(directory.resolve("role:health/child-psychology-clinc@350102")))
        #expect(kind.code == .unknownKind && kind.reason.hasSuffix(#"did you mean "child-psychology-clinic"?"#))
        // Nothing near: no guess.
        let far = try #require(failure(directory.resolve("zzzzzzzz-unknown")))
        #expect(!far.reason.contains("did you mean"))
    }

    @Test func suspendedNodeIsRefusedByName() throws {
        var entries = DemoDirectory.entries(publicKeys: demoKeys())
        entries[0].state = .suspended
        let directory = try Directory(entries: entries, divisions: fujian())
        let failed = try #require(failure(directory.resolve("node:gl-school-1")))
        #expect(failed.code == .suspendedNode)
        #expect(failed.address == "node:gl-school-1")
    }

    @Test func roleInTheSameDivision() throws {
        let directory = try demoDirectory()
        #expect(
            directory.resolve("role:health/child-psychology-clinic@350102")
                == .nodes(
                    ["gl-child-psych"], via: "role:health/child-psychology-clinic@350102 -> 350102: gl-child-psych"))
    }

    @Test func roleInTheNearestAncestor() throws {
        let directory = try demoDirectory()
        // From a village: township (none), county (none), city: the psychiatric clinic.
        #expect(
            directory.resolve("role:health/psychiatric-clinic@350102100201")
                == .nodes(
                    ["fz-psychiatric"], via: "role:health/psychiatric-clinic@350102100201 -> 350100: fz-psychiatric"))
        // From a township: the county clinic, not the city's psychiatric clinic.
        #expect(ids(directory.resolve("role:health/*@350102003")) == ["gl-child-psych", "gl-health-bureau"])
        // Short codes are accepted.
        #expect(ids(directory.resolve("role:youth-league/hotline@3501")) == ["fz-12355"])
    }

    @Test func nodesBelowTheTargetDoNotMatch() throws {
        let directory = try demoDirectory()
        // The only police station is in township 350102001; the county asks for one at 350102.
        #expect(failure(directory.resolve("role:public-security/police-station@350102"))?.code == .noMatchingNode)
        #expect(ids(directory.resolve("role:public-security/police-station@350102001001")) == ["gl-police-1"])
    }

    @Test func fanOutAtOneLevel() throws {
        let table = try fujian()
        let directory = try Directory(
            entries: [
                entry("clinic-a", .health, "psychiatric-clinic", "350102", key: 1),
                entry("clinic-b", .health, "psychiatric-clinic", "350102", key: 2),
                entry("clinic-city", .health, "psychiatric-clinic", "350100", key: 3),
                entry("clinic-other-county", .health, "psychiatric-clinic", "350103", key: 4),
            ], divisions: table)
        #expect(
            directory.resolve("role:health/psychiatric-clinic@350102001")
                == .nodes(
                    ["clinic-a", "clinic-b"],
                    via: "role:health/psychiatric-clinic@350102001 -> 350102: clinic-a, clinic-b"))
        #expect(ids(directory.resolve("role:health/psychiatric-clinic@350104")) == ["clinic-city"])
    }

    @Test func suspendedNodesAreSkipped() throws {
        let directory = try Directory(
            entries: [
                entry("clinic-a", .health, "psychiatric-clinic", "350102", key: 1, state: .suspended),
                entry("clinic-b", .health, "psychiatric-clinic", "350102", key: 2),
                entry("clinic-city", .health, "psychiatric-clinic", "350100", key: 3),
                entry("hotline", .youthLeague, "hotline", "350102", key: 4, state: .suspended),
            ], divisions: fujian())
        #expect(ids(directory.resolve("role:health/psychiatric-clinic@350102")) == ["clinic-b"])
        // The only county hotline is suspended, and there is no city one: nobody.
        #expect(failure(directory.resolve("role:youth-league/hotline@350102"))?.code == .noMatchingNode)
        let skipped = try Directory(
            entries: [
                entry("clinic-a", .health, "psychiatric-clinic", "350102", key: 1, state: .suspended),
                entry("clinic-city", .health, "psychiatric-clinic", "350100", key: 3),
            ], divisions: fujian())
        #expect(ids(skipped.resolve("role:health/psychiatric-clinic@350102")) == ["clinic-city"])
    }

    @Test func unresolvableRoleListsTheDivisionsSearched() throws {
        let directory = try demoDirectory()
        let failed = try #require(
            failure(directory.resolve("role:womens-federation/family-education-station@350102100201")))
        #expect(failed.code == .noMatchingNode)
        #expect(failed.code.rawValue == "NO_MATCHING_NODE")
        #expect(
            failed.reason
                == "no active womens-federation/family-education-station node at 350102100201, 350102100, 350102, 350100, 350000"
        )
    }

    @Test func roleFailuresHaveTheirOwnCodes() throws {
        let directory = try demoDirectory()
        #expect(failure(directory.resolve("role:police/police-station@350102"))?.code == .unknownAgency)
        #expect(failure(directory.resolve("role:health/witch-doctor@350102"))?.code == .unknownKind)
        #expect(failure(directory.resolve("role:health/hospital@350199"))?.code == .invalidDivision)
        #expect(failure(directory.resolve("role:health/hospital@360102"))?.code == .invalidDivision)
    }

    @Test func severalRecipients() throws {
        let directory = try demoDirectory()
        let resolution = directory.resolve(recipients: [
            "gl-school-1", "role:civil-affairs/child-director@350102100201", "node:gl-school-1",
            "role:civil-affairs/township-supervisor@350102100201", "gl-director-1",
        ])
        #expect(
            resolution
                == .nodes(
                    ["gl-school-1", "gl-director-1", "gl-supervisor-1"],
                    via: "role:civil-affairs/child-director@350102100201 -> 350102100201: gl-director-1; "
                        + "role:civil-affairs/township-supervisor@350102100201 -> 350102100: gl-supervisor-1"))
        #expect(
            directory.resolve(recipients: ["gl-school-1", "node:gl-school-2"])
                == .nodes(["gl-school-1", "gl-school-2"], via: nil))
    }

    @Test func severalRecipientsFailOnTheFirstUnresolvable() throws {
        let directory = try demoDirectory()
        let failed = try #require(
            failure(
                directory.resolve(recipients: [
                    "gl-school-1", "role:health/hospital@350102", "nobody", "BAD",
                ])))
        #expect(failed.code == .noMatchingNode)
        #expect(failed.address == "role:health/hospital@350102")
        #expect(failure(directory.resolve(recipients: []))?.code == .malformedAddress)
    }
}
