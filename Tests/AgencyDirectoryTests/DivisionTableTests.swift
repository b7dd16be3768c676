import Foundation
import ReferralProtocol
import Testing

@testable import AgencyDirectory

@Suite("Division table")
struct DivisionTableTests {
    @Test func bundledFujianHasTheBriefsCounts() throws {
        let table = try fujian()
        #expect(table.codes(at: .province) == ["350000"])
        #expect(table.codes(at: .city).count == 9)
        #expect(table.codes(at: .county).count == 84)
        #expect(table.codes(at: .township).count == 1_170)
        #expect(table.codes(at: .village).isEmpty)
        #expect(table.name(of: "35") == "福建省")
        #expect(table.name(of: "350100") == "福州市")
        #expect(table.name(of: "350102") == "鼓楼区")
        #expect(table.name(of: "350102001") == "鼓东街道")
    }

    @Test func codesAreNormalised() throws {
        let table = try fujian()
        #expect(table.canonicalCode("35") == "350000")
        #expect(table.canonicalCode("3501") == "350100")
        #expect(table.canonicalCode("350000") == "350000")
        #expect(table.canonicalCode("350100") == "350100")
        #expect(table.canonicalCode("350102") == "350102")
        #expect(table.canonicalCode("350102001") == "350102001")
        #expect(table.canonicalCode("350102001001") == "350102001001")
    }

    @Test func levels() throws {
        let table = try fujian()
        #expect(table.level(of: "35") == .province)
        #expect(table.level(of: "350000") == .province)
        #expect(table.level(of: "3501") == .city)
        #expect(table.level(of: "350100") == .city)
        #expect(table.level(of: "350102") == .county)
        #expect(table.level(of: "350102001") == .township)
        #expect(table.level(of: "350102001001") == .village)
        #expect(DivisionLevel.province < DivisionLevel.village)
    }

    @Test(arguments: [
        "", "3", "36", "3600", "360000", "3510", "351000", "350199", "350102999", "350102001000",
        "35010200100", "3501020010011", "35a102", " 350102", "３５０１０２",
    ])
    func invalidCodes(code: String) throws {
        let table = try fujian()
        #expect(!table.isValid(code))
        #expect(table.level(of: code) == nil)
        #expect(table.parent(of: code) == nil)
        #expect(table.ancestors(of: code).isEmpty)
        #expect(table.name(of: code) == nil)
    }

    @Test func villageChain() throws {
        let table = try fujian()
        #expect(table.isValid("350102100201"))
        #expect(table.name(of: "350102100201") == nil)  // villages are not in the table
        #expect(table.parent(of: "350102100201") == "350102100")
        #expect(table.ancestors(of: "350102100201") == ["350102100201", "350102100", "350102", "350100", "350000"])
    }

    @Test func townshipChain() throws {
        let table = try fujian()
        #expect(table.parent(of: "350102001") == "350102")
        #expect(table.ancestors(of: "350102001") == ["350102001", "350102", "350100", "350000"])
    }

    @Test func countyChain() throws {
        let table = try fujian()
        #expect(table.parent(of: "350102") == "350100")
        #expect(table.parent(of: "350100") == "350000")
        #expect(table.parent(of: "350000") == nil)
        #expect(table.ancestors(of: "350102") == ["350102", "350100", "350000"])
        #expect(table.ancestors(of: "3501") == ["350100", "350000"])
        #expect(table.ancestors(of: "35") == ["350000"])
    }

    @Test func everyCountyAndTownshipClimbsToTheProvince() throws {
        let table = try fujian()
        for code in table.codes(at: .county) + table.codes(at: .township) {
            let chain = table.ancestors(of: code)
            #expect(chain.last == "350000", "\(code)")
            #expect(chain.count == (table.level(of: code) == .county ? 3 : 4), "\(code)")
        }
    }

    /// Another province's table from a folder: parents come from the columns, so a county
    /// directly under a "90" pseudo-city keeps the parent the data gives it.
    @Test func loadsAnotherProvinceFromAFolder() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try "code,name\n41,\"河南省\"\n".write(
            to: folder.appendingPathComponent("provinces.csv"), atomically: true, encoding: .utf8)
        try "code,name,provinceCode\n4101,\"郑州市\",41\n4190,\"省直辖县级行政区划\",41\n"
            .write(to: folder.appendingPathComponent("cities.csv"), atomically: true, encoding: .utf8)
        try "code,name,cityCode,provinceCode\r\n410102,\"中原区\",4101,41\r\n419001,\"济源市\",4190,41\r\n"
            .write(to: folder.appendingPathComponent("areas.csv"), atomically: true, encoding: .utf8)
        try "code,name,areaCode,provinceCode,cityCode\n419001001,\"沁园街道\",419001,41,4190\n"
            .write(to: folder.appendingPathComponent("townships.csv"), atomically: true, encoding: .utf8)
        let table = try DivisionTable(folder: folder)
        #expect(table.ancestors(of: "419001001123") == ["419001001123", "419001001", "419001", "419000", "410000"])
        #expect(table.name(of: "410102") == "中原区")
        #expect(table.codes(at: .county) == ["410102", "419001"])
        #expect(!table.isValid("350102"))
    }

    @Test func aBrokenTableNamesFileLineAndColumn() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try "code,name\n35,\"福建省\"\n".write(
            to: folder.appendingPathComponent("provinces.csv"), atomically: true, encoding: .utf8)
        try "code,name,provinceCode\n3501,\"福州市\",35\n".write(
            to: folder.appendingPathComponent("cities.csv"), atomically: true, encoding: .utf8)
        try "code,name,cityCode,provinceCode\n350102,\"鼓楼区\",3501,35\n350103,\"台江区\",3599,35\n"
            .write(to: folder.appendingPathComponent("areas.csv"), atomically: true, encoding: .utf8)
        try "code,name,areaCode\n".write(
            to: folder.appendingPathComponent("townships.csv"), atomically: true, encoding: .utf8)
        let error = try #require(throws: ConfigurationError.self) { try DivisionTable(folder: folder) }
        #expect(error.file == folder.appendingPathComponent("areas.csv").path)
        #expect(error.entry == "line 3")
        #expect(error.field == "cityCode")
        #expect(error.description.hasSuffix("areas.csv: line 3: cityCode: 3599 is not a city of cities.csv"))
    }
}
