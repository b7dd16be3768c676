import Foundation
import ReferralProtocol
import Testing

@testable import AgencyDirectory

@Suite("Directory file")
struct DirectoryLoadingTests {
    let file = "directory.json"

    func load(_ data: Data) throws -> Directory {
        try Directory.load(data: data, file: file, divisions: fujian())
    }

    /// Loads a directory whose node `index` is broken and returns the error.
    func fault(_ nodes: [[String: String]], kinds: [String]? = nil) throws -> ConfigurationError {
        let data = try directoryData(nodes: nodes, kinds: kinds)
        return try #require(throws: ConfigurationError.self) { try load(data) }
    }

    @Test func aGoodFileLoadsWithCanonicalCodes() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("directory.json")
        try directoryData(
            nodes: [
                nodeJSON("gl-school-1", key: 1),
                nodeJSON("fz-edu-bureau", key: 2, ["kind": "city-bureau", "division": "3501"]),
                nodeJSON(
                    "gl-youth-centre", key: 3, ["agency": "youth-league", "kind": "youth-centre", "state": "suspended"]),
            ], kinds: ["youth-centre"]
        ).write(to: url)
        let directory = try Directory.load(file: url, divisions: fujian())
        #expect(directory.allEntries.map(\.id) == ["gl-school-1", "fz-edu-bureau", "gl-youth-centre"])
        #expect(directory.entry(id: "fz-edu-bureau")?.division == "350100")
        #expect(directory.entry(id: "gl-youth-centre")?.state == .suspended)
        #expect(directory.entry(publicKey: fakeKey(1))?.id == "gl-school-1")
        #expect(directory.entry(publicKey: fakeKey(9)) == nil)
        #expect(directory.entry(id: "nobody") == nil)
        #expect(directory.knownKinds.contains("youth-centre"))
        #expect(directory.knownKinds.isSuperset(of: NodeKind.defaults))
    }

    @Test func badDivision() throws {
        let error = try fault([nodeJSON("a", key: 1), nodeJSON("demo-school-2", key: 2, ["division": "350199"])])
        #expect(
            error.description
                == #"directory.json: nodes[1] (id "demo-school-2"): division: "350199" is not a division code of the table"#
        )
        #expect(error.file == file)
        #expect(error.entry == #"nodes[1] (id "demo-school-2")"#)
        #expect(error.field == "division")
    }

    @Test func villageUnderAnUnknownTownship() throws {
        let error = try fault([nodeJSON("a", key: 1, ["division": "350102999001"])])
        #expect(error.field == "division")
    }

    @Test func unknownAgency() throws {
        let error = try fault([
            nodeJSON("a", key: 1), nodeJSON("b", key: 2), nodeJSON("c", key: 3, ["agency": "police"]),
        ])
        #expect(error.entry == #"nodes[2] (id "c")"#)
        #expect(error.field == "agency")
        #expect(error.reason.hasPrefix(#""police" is not an agency"#))
    }

    @Test func unknownKind() throws {
        let error = try fault([nodeJSON("a", key: 1, ["kind": "tutor"])])
        #expect(error.field == "kind")
        #expect(error.reason.contains(#""tutor" is not a known node kind"#))
    }

    @Test func reservedIdIsRefused() throws {
        let error = try fault([nodeJSON("a", key: 1), nodeJSON("referrald", key: 2)])
        #expect(error.field == "id")
        #expect(error.reason.contains("reserved"))
    }

    @Test func duplicateId() throws {
        let error = try fault([nodeJSON("a", key: 1), nodeJSON("b", key: 2), nodeJSON("a", key: 3)])
        #expect(
            error.description == #"directory.json: nodes[2] (id "a"): id: "a" is already the id of nodes[0] (id "a")"#)
    }

    @Test func duplicateKey() throws {
        let error = try fault([nodeJSON("a", key: 1), nodeJSON("b", key: 1)])
        #expect(error.entry == #"nodes[1] (id "b")"#)
        #expect(error.field == "public_key")
        #expect(error.reason.contains(#"the same key as nodes[0] (id "a")"#))
    }

    @Test(arguments: [
        String(repeating: "Q", count: 39), String(repeating: "Q", count: 41), String(repeating: "Q", count: 39) + "~",
        String(repeating: "Q", count: 39) + "\"", String(repeating: "Q", count: 39) + "é", "",
    ])
    func badKey(key: String) throws {
        let error = try fault([nodeJSON("a", key: 1, ["public_key": key])])
        #expect(error.entry == #"nodes[0] (id "a")"#)
        #expect(error.field == "public_key")
    }

    @Test func badState() throws {
        let error = try fault([nodeJSON("a", key: 1, ["state": "retired"])])
        #expect(error.description == #"directory.json: nodes[0] (id "a"): state: must be "active" or "suspended""#)
    }

    @Test func unknownKeyInANode() throws {
        let error = try fault([nodeJSON("a", key: 1, ["pubic_key": "x"])])
        #expect(error.description == #"directory.json: nodes[0] (id "a"): pubic_key: unknown key"#)
    }

    @Test func unknownTopLevelKey() throws {
        let error = try #require(throws: ConfigurationError.self) {
            try load(try directoryData(nodes: [nodeJSON("a", key: 1)], extra: ["verison": 1]))
        }
        #expect(error.description == "directory.json: verison: unknown key")
    }

    @Test(arguments: ["Bad", "-a", "a b", String(repeating: "a", count: 65), "ａ"])
    func badId(id: String) throws {
        let error = try fault([nodeJSON(id, key: 1)])
        #expect(error.entry == "nodes[0]")  // an invalid id is not echoed as the entry's name
        #expect(error.field == "id")
    }

    @Test func badName() throws {
        let error = try fault([nodeJSON("a", key: 1, ["name": "evil\nname"])])
        #expect(error.field == "name")
    }

    @Test func missingField() throws {
        let error = try fault([nodeJSON("a", key: 1, ["state": nil])])
        #expect(error.description == #"directory.json: nodes[0] (id "a"): state: is required"#)
    }

    @Test func wrongType() throws {
        let data = Data(
            #"{"version":1,"nodes":[{"id":"a","agency":"education","kind":"school","division":350102,"name":"n","public_key":"k","state":"active"}]}"#
                .utf8)
        let error = try #require(throws: ConfigurationError.self) { try load(data) }
        #expect(error.description == #"directory.json: nodes[0] (id "a"): division: must be a string, not a number"#)
    }

    @Test func badExtraKind() throws {
        let error = try fault([nodeJSON("a", key: 1)], kinds: ["ok-kind", "Not OK"])
        #expect(error.description.hasPrefix(#"directory.json: kinds[1]: "Not OK" is not a node kind"#))
    }

    @Test(arguments: [
        (#"{"nodes":[]}"#, "directory.json: version: is required (1)"),
        (#"{"version":2,"nodes":[]}"#, "directory.json: version: must be 1; this broker reads version 1 only"),
        (#"{"version":1}"#, "directory.json: nodes: is required"),
        (#"{"version":1,"nodes":{}}"#, "directory.json: nodes: must be an array, not an object"),
        (#"{"version":1,"nodes":["a"]}"#, "directory.json: nodes[0]: must be a JSON object, not a string"),
        (#"[]"#, "directory.json: must be a JSON object, not an array"),
    ])
    func fileLevelFaults(json: String, expected: String) throws {
        let error = try #require(throws: ConfigurationError.self) { try load(Data(json.utf8)) }
        #expect(error.description == expected)
    }

    @Test func syntaxErrorNamesTheFile() throws {
        let error = try #require(throws: ConfigurationError.self) { try load(Data(#"{"version":1,"nodes":[}"#.utf8)) }
        #expect(error.file == file)
        #expect(error.description.hasPrefix("directory.json: not valid JSON"))
    }

    @Test func syntaxErrorSaysWhereByLineAndColumn() throws {
        let json = "{\n  \"version\": 1,\n  \"nodes\": [}\n}"
        let error = try #require(throws: ConfigurationError.self) { try load(Data(json.utf8)) }
        #expect(error.description == "directory.json: not valid JSON (line 3, column 13: unexpected character)")
    }

    /// Before the shared reader, the last of two members of the same name silently won.
    @Test func duplicateMemberNameIsRefused() throws {
        let json = """
            {"version": 1, "nodes": [
              {"id": "a", "agency": "education", "kind": "school", "division": "350102001", "name": "n",
               "public_key": "\(fakeKey(1))", "state": "active", "state": "suspended"}
            ]}
            """
        let error = try #require(throws: ConfigurationError.self) { try load(Data(json.utf8)) }
        #expect(error.file == file)
        #expect(error.description == "directory.json: not valid JSON (line 3, column 81: duplicate member name)")
    }

    @Test func aLeadingByteOrderMarkIsSkipped() throws {
        let data = Data([0xEF, 0xBB, 0xBF] + Array(#"{"version":1,"nodes":[]}"#.utf8))
        #expect(try load(data).allEntries.isEmpty)
    }

    @Test func nestingIsLimited() throws {
        let json =
            #"{"version":1,"nodes":[],"kinds":"# + String(repeating: "[", count: 20) + String(repeating: "]", count: 20)
            + "}"
        let error = try #require(throws: ConfigurationError.self) { try load(Data(json.utf8)) }
        #expect(error.reason.hasPrefix("not valid JSON (line 1, column "))
        #expect(error.reason.hasSuffix(": nesting deeper than 16)"))
    }

    @Test func unreadableFile() throws {
        let url = URL(fileURLWithPath: "/nonexistent/directory.json")
        let error = try #require(throws: ConfigurationError.self) { try Directory.load(file: url, divisions: fujian()) }
        #expect(error.description == "/nonexistent/directory.json: cannot be read")
    }

    /// A reload that fails leaves the caller's directory as it was: there is no partial result.
    @Test func aBrokenFileNeverReplacesAGoodDirectory() throws {
        var current = try load(try directoryData(nodes: [nodeJSON("a", key: 1), nodeJSON("b", key: 2)]))
        let broken = try directoryData(nodes: [nodeJSON("a", key: 1), nodeJSON("c", key: 3, ["division": "999999"])])
        #expect(throws: ConfigurationError.self) { current = try load(broken) }
        #expect(current.allEntries.map(\.id) == ["a", "b"])
        #expect(current.entry(id: "c") == nil)
    }

    @Test func entriesBuiltInCodeAreCheckedToo() throws {
        let error = try #require(throws: ConfigurationError.self) {
            try Directory(
                entries: [
                    entry("a", .education, "school", "350102", key: 1), entry("b", .health, "hospital", "1234", key: 2),
                ], divisions: fujian())
        }
        #expect(error.description == #"entries[1] (id "b"): division: "1234" is not a division code of the table"#)
        let extra = try Directory(
            entries: [entry("a", .health, "crisis-team", "350102", key: 1)], divisions: fujian(),
            extraKinds: ["crisis-team"])
        #expect(extra.entry(id: "a")?.kind == "crisis-team")
    }
}
