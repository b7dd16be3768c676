import Foundation
import ReferralProtocol
import Testing

@testable import AgencyDirectory

@Suite("Demo directory")
struct DemoDirectoryTests {
    @Test func buildsAValidDirectoryForOneRealCounty() throws {
        let directory = try demoDirectory()
        let table = try fujian()
        #expect(directory.allEntries.map(\.id) == DemoDirectory.ids)
        #expect(table.name(of: DemoDirectory.county) == "鼓楼区")
        for entry in directory.allEntries {
            #expect(entry.name.hasSuffix("(demo)"), "\(entry.id)")
            #expect(entry.isActive)
            #expect(entry.publicKey == demoKeys()[entry.id])
            let chain = table.ancestors(of: entry.division)
            #expect(
                chain.contains(DemoDirectory.county) || chain.first == "350100", "\(entry.id) is outside Gulou/Fuzhou")
        }
    }

    @Test func coversTheRolesTheBriefAsksFor() throws {
        let directory = try demoDirectory()
        func count(_ agency: Agency, _ kind: String) -> Int {
            directory.allEntries.filter { $0.agency == agency && $0.kind == kind }.count
        }
        #expect(count(.education, "school") == 3)
        #expect(count(.education, "county-bureau") == 1)
        #expect(count(.education, "city-bureau") == 1)
        #expect(count(.health, "child-psychology-clinic") == 1)
        #expect(count(.health, "psychiatric-clinic") == 1)
        #expect(count(.health, "county-bureau") == 1)
        #expect(count(.civilAffairs, "child-director") == 2)
        #expect(count(.civilAffairs, "township-supervisor") == 1)
        #expect(count(.civilAffairs, "county-bureau") == 1)
        #expect(count(.civilAffairs, "city-bureau") == 1)
        #expect(count(.youthLeague, "hotline") == 1)
        #expect(count(.publicSecurity, "police-station") == 1)
        #expect(count(.publicSecurity, "public-security-bureau") == 1)
        let table = try fujian()
        for director in directory.allEntries where director.kind == "child-director" {
            #expect(table.level(of: director.division) == .village)
        }
        #expect(table.level(of: directory.entry(id: "gl-supervisor-1")!.division) == .township)
    }

    @Test func aMissingKeyIsRefusedNamingTheNode() throws {
        var keys = demoKeys()
        keys["gl-psb"] = nil
        let error = try #require(throws: ConfigurationError.self) {
            try Directory(entries: DemoDirectory.entries(publicKeys: keys), divisions: fujian())
        }
        #expect(error.entry == #"entries[15] (id "gl-psb")"#)
        #expect(error.field == "public_key")
    }
}
