import Foundation
import Testing

@testable import AgencyDirectory

@Suite("Supervisors and escalation chains")
struct SupervisorTests {
    @Test func schoolIsSupervisedByItsCountyBureau() throws {
        let directory = try demoDirectory()
        #expect(directory.supervisor(of: "gl-school-1") == ["gl-edu-bureau"])  // school in a township
        #expect(directory.supervisor(of: "gl-school-3") == ["gl-edu-bureau"])  // school at the county code
    }

    @Test func villageChildDirectorGoesToTheTownshipSupervisor() throws {
        let directory = try demoDirectory()
        #expect(directory.supervisor(of: "gl-director-1") == ["gl-supervisor-1"])
        // A township without a supervisor: straight to the county bureau.
        #expect(directory.supervisor(of: "gl-director-2") == ["gl-civil-bureau"])
    }

    @Test func townshipSupervisorGoesToTheCountyBureau() throws {
        let directory = try demoDirectory()
        #expect(directory.supervisor(of: "gl-supervisor-1") == ["gl-civil-bureau"])
    }

    @Test func countyBureauGoesToTheCityBureau() throws {
        let directory = try demoDirectory()
        #expect(directory.supervisor(of: "gl-civil-bureau") == ["fz-civil-bureau"])
        #expect(directory.supervisor(of: "gl-edu-bureau") == ["fz-edu-bureau"])
        #expect(directory.supervisor(of: "fz-edu-bureau") == [])  // no provincial bureau in the demo
        #expect(directory.supervisor(of: "gl-health-bureau") == [])
    }

    @Test func supervisorForAnotherAgency() throws {
        let directory = try demoDirectory()
        #expect(directory.supervisor(of: "gl-school-1", agency: .civilAffairs) == ["gl-civil-bureau"])
        #expect(directory.supervisor(of: "gl-director-1", agency: .education) == ["gl-edu-bureau"])
        #expect(directory.supervisor(of: "gl-police-1") == ["gl-psb"])
        #expect(directory.supervisor(of: "gl-child-psych") == ["gl-health-bureau"])
        #expect(directory.supervisor(of: "fz-psychiatric") == [])
        #expect(directory.supervisor(of: "nobody") == [])
    }

    @Test func escalationChain() throws {
        let directory = try demoDirectory()
        #expect(
            directory.escalationChain(of: "gl-director-1") == [
                ["gl-supervisor-1"], ["gl-civil-bureau"], ["fz-civil-bureau"],
            ])
        #expect(directory.escalationChain(of: "gl-school-2") == [["gl-edu-bureau"], ["fz-edu-bureau"]])
        #expect(directory.escalationChain(of: "gl-civil-bureau") == [["fz-civil-bureau"]])
        #expect(directory.escalationChain(of: "nobody") == [])
    }

    @Test func chainSkipsSuspendedAuthoritiesAndFansOut() throws {
        let directory = try Directory(
            entries: [
                entry("director", .civilAffairs, "child-director", "350102100201", key: 1),
                entry("supervisor", .civilAffairs, "township-supervisor", "350102100", key: 2, state: .suspended),
                entry("county-a", .civilAffairs, "county-bureau", "350102", key: 3),
                entry("county-b", .civilAffairs, "county-bureau", "350102", key: 4),
                entry("province", .civilAffairs, "provincial-bureau", "35", key: 5),
                entry("other-county", .civilAffairs, "county-bureau", "350103", key: 6),
            ], divisions: fujian())
        #expect(directory.escalationChain(of: "director") == [["county-a", "county-b"], ["province"]])
        // A county bureau is not its sibling's supervisor.
        #expect(directory.supervisor(of: "county-a") == ["province"])
    }
}
