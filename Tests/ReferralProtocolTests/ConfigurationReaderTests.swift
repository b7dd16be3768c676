import Testing

@testable import ReferralProtocol

/// The one configuration error and the strict reader every configuration file is read with (issue 9).
@Suite struct ConfigurationReaderTests {
    func reader(_ json: String, file: String? = "f.json") throws -> JSONObjectReader {
        try JSONObjectReader(try JSONFile.parse(Array(json.utf8), file: file), file: file)
    }

    @Test func theDescriptionNamesFileSettingEntryKeyAndProblem() {
        let all = ConfigurationError(
            file: "/etc/d.json", setting: "directory_file", entry: "nodes[0]", field: "id", reason: "is required")
        #expect(all.description == "/etc/d.json: directory_file: nodes[0]: id: is required")
        #expect(ConfigurationError(field: "holidays[1]", reason: "bad").description == "holidays[1]: bad")
        #expect(ConfigurationError(file: "f", reason: "cannot be read").description == "f: cannot be read")
    }

    @Test func aFaultFoundInAFileKeepsTheFileItNamedAndGainsTheSetting() {
        let bare = ConfigurationError(field: "levels.routine.answer", reason: "bad")
        #expect(bare.found(in: "/p.json").description == "/p.json: levels.routine.answer: bad")
        #expect(
            bare.found(in: "/p.json", namedBy: "escalation_policy_file").description
                == "/p.json: escalation_policy_file: levels.routine.answer: bad")
        let named = ConfigurationError(file: "/a.csv", entry: "line 3", reason: "bad")
        #expect(named.found(in: "/folder", namedBy: "divisions_folder").file == "/a.csv")
    }

    @Test func nestedObjectsNameTheirKeysByPath() throws {
        var top = try reader(#"{"limits": {"max_window": "x", "other": 1}, "curve": 3}"#)
        var limits = try #require(try top.optionalReader("limits"))
        #expect(throws: ConfigurationError(file: "f.json", field: "limits.max_window", reason: "must be an integer, not a string")) {
            _ = try limits.optionalInteger("max_window")
        }
        #expect(throws: ConfigurationError(file: "f.json", field: "limits.other", reason: "unknown key")) {
            try limits.refuseUnknownKeys()
        }
        #expect(throws: ConfigurationError(file: "f.json", field: "curve", reason: "must be a JSON object, not a number")) {
            _ = try top.optionalReader("curve")
        }
    }

    @Test func typesAndMissingKeysAreNamed() throws {
        var top = try reader(#"{"a": null, "b": 1.5, "c": [1]}"#)
        #expect(throws: ConfigurationError(file: "f.json", field: "a", reason: "must be a string, not null")) {
            _ = try top.optionalString("a")
        }
        #expect(throws: ConfigurationError(file: "f.json", field: "b", reason: "must be an integer, not a number")) {
            _ = try top.optionalInteger("b")
        }
        #expect(throws: ConfigurationError(file: "f.json", field: "c[0]", reason: "must be a string, not a number")) {
            _ = try top.optionalStrings("c")
        }
        #expect(throws: ConfigurationError(file: "f.json", field: "d", reason: "is required")) {
            _ = try top.string("d")
        }
    }

    @Test func syntaxFaultsSayWhereByLineAndColumn() {
        #expect(throws: ConfigurationError(file: "f.json", reason: "not valid JSON (line 2, column 9: duplicate member name)")) {
            _ = try reader("{\"a\": 1,\n        \"a\": 2}")
        }
    }
}
