import Testing

@testable import ReferralProtocol

@Suite struct JSONTests {
    func parse(_ text: String, maxDepth: Int = 8) throws -> JSONValue {
        try JSONReader.parse(Array(text.utf8), maxDepth: maxDepth)
    }

    func rejects(_ bytes: [UInt8], maxDepth: Int = 8) -> Bool {
        (try? JSONReader.parse(bytes, maxDepth: maxDepth)) == nil
    }

    @Test func parsesValues() throws {
        #expect(try parse(" null ") == .null)
        #expect(try parse("true") == .bool(true))
        #expect(try parse("[false]") == .array([.bool(false)]))
        #expect(try parse("0") == .integer(0))
        #expect(try parse("-0") == .integer(0))
        #expect(try parse("9007199254740991") == .integer(9_007_199_254_740_991))
        #expect(try parse("9223372036854775807") == .integer(Int64.max))
        #expect(try parse("-9223372036854775808") == .integer(Int64.min))
        #expect(try parse("9223372036854775808") == .number(9_223_372_036_854_775_808))
        #expect(try parse("1.5") == .number(1.5))
        #expect(try parse("-2.5E-3") == .number(-0.0025))
        #expect(try parse("1e2") == .number(100))
        #expect(try parse("10.0") == .number(10))
        #expect(
            try parse(#"{"a":{"b":[1,"x",null]},"c":""}"#)["a"]?["b"] == .array([.integer(1), .string("x"), .null]))
    }

    @Test func decodesStrings() throws {
        #expect(try parse(#""\"\\\/\b\f\n\r\t""#) == .string("\"\\/\u{8}\u{C}\n\r\t"))
        #expect(try parse(#""\u0041\u00e9\u4E2D\ud83d\ude00""#) == .string("Aé中😀"))
        #expect(try parse(#""\u0000""#) == .string("\u{0}"))
        #expect(try parse("\"é中😀 raw\"") == .string("é中😀 raw"))
        #expect(try parse(#""abc\u0064é""#) == .string("abcdé"))
        #expect(try parse("\"\u{7F}\"") == .string("\u{7F}"))
    }

    @Test(arguments: [
        "", " ", "{", "}", "[1,]", #"{"a":1,}"#, "{,}", "[,1]", "01", "-", "-01", "1.", ".5", "1e", "1e+", "+1",
        "NaN", "Infinity", "-Infinity", "tru", "nul", "True", "'a'", #""abc"#, #""\x""#, #""\u12""#, #""\u12G4""#,
        #""\ud800""#, #""\udc00""#, #""\ud800\u0041""#, #""\ud800x""#, "{} {}", "[] x", #"{"a" 1}"#, #"{a:1}"#,
        #"{"a":1 "b":2}"#, #"{"a":1,"a":2}"#, #"{"a":1,"\u0061":2}"#, "\u{FEFF}{}", "[1 2]", "\"a\tb\"",
        "\"a\nb\"", "//", "/*x*/{}", "0x10",
    ])
    func rejectsInvalidText(_ text: String) {
        #expect(rejects(Array(text.utf8)))
    }

    @Test(
        arguments: [
            [0x22, 0xFF, 0x22], [0x22, 0xC0, 0xAF, 0x22], [0x22, 0xC1, 0xBF, 0x22], [0x22, 0xE0, 0x80, 0x80, 0x22],
            [0x22, 0xED, 0xA0, 0x80, 0x22], [0x22, 0xF4, 0x90, 0x80, 0x80, 0x22], [0x22, 0xF5, 0x80, 0x80, 0x80, 0x22],
            [0x22, 0xC3, 0x22], [0x22, 0xE4, 0xB8, 0x22], [0x22, 0x80, 0x22], [0x22, 0xC3], [0xC3, 0xA9],
            [0x22, 0x5C, 0x22, 0xFF, 0x22],  // after an escape, the slow path validates too
        ] as [[UInt8]])
    func rejectsInvalidUTF8(_ bytes: [UInt8]) {
        #expect(rejects(bytes))
    }

    @Test func acceptsUTF8Boundaries() throws {
        let cases: [[UInt8]] = [
            [0xC2, 0x80], [0xDF, 0xBF], [0xE0, 0xA0, 0x80], [0xED, 0x9F, 0xBF], [0xEE, 0x80, 0x80],
            [0xF0, 0x90, 0x80, 0x80], [0xF4, 0x8F, 0xBF, 0xBF],
        ]
        for scalar in cases {
            let value = try JSONReader.parse([0x22] + scalar + [0x22], maxDepth: 1)
            #expect(value.stringValue.map { Array($0.utf8) } == scalar)
        }
    }

    @Test func depthCountsNestedContainers() throws {
        #expect(try parse(#"{"a":[[{}]]}"#, maxDepth: 4) != .null)
        #expect(rejects(Array(#"{"a":[[{"b":[]}]]}"#.utf8), maxDepth: 4))
        #expect(try parse("1", maxDepth: 0) == .integer(1))
        #expect(rejects(Array("[]".utf8), maxDepth: 0))
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        #expect(rejects(Array(deep.utf8), maxDepth: 4))  // refused long before the stack is at risk
    }

    @Test func duplicatesAreFoundInLargeObjects() {
        let members = (0..<40).map { #""k\#($0)":\#($0)"# }
        let unique = "{" + members.joined(separator: ",") + "}"
        #expect(!rejects(Array(unique.utf8)))
        let duplicate = "{" + (members + [#""k3":0"#]).joined(separator: ",") + "}"
        #expect(rejects(Array(duplicate.utf8)))
        let escaped = "{" + (members + [#""\u006b39":0"#]).joined(separator: ",") + "}"
        #expect(rejects(Array(escaped.utf8)))
    }

    @Test func errorsGiveOffsetsNotContent() {
        do {
            _ = try JSONReader.parse(Array(#"{"secret":"value" x}"#.utf8), maxDepth: 4)
            Issue.record("parsed")
        } catch {
            #expect(error.offset == 18)
            #expect(!error.description.contains("secret"))
        }
    }

    @Test func writerEscapesAndRoundTrips() throws {
        var all = ""
        for scalar in 0..<0x20 { all.unicodeScalars.append(Unicode.Scalar(UInt8(scalar))) }
        all += "\"\\/ é中😀\u{7F}\u{2028}"
        let value: JSONValue = .object([
            (key: "s", value: .string(all)), (key: "k\"\n", value: .array([.integer(-42), .number(0.1), .null])),
            (key: "b", value: .bool(false)), (key: "min", value: .integer(Int64.min)),
            (key: "n", value: .number(1e300)), (key: "z", value: .number(-0.0)),
        ])
        let bytes = JSONWriter.encode(value)
        #expect(try JSONReader.parse(bytes, maxDepth: 4) == value)
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(text.hasPrefix(#"{"s":"\u0000\u0001\u0002\u0003\u0004\u0005\u0006\u0007\b\t\n\u000b\f\r\u000e"#))
        #expect(text.contains(#"\u001f\"\\/ é中😀"#))
        #expect(text.contains(#""k\"\n":[-42,0.1,null]"#))
        #expect(text.contains(#""min":-9223372036854775808"#))
    }

    /// A static member name is written exactly as `key(_:)` writes it, commas included.
    @Test func staticKeysWriteTheSameOctetsAsKeys() {
        var plain = JSONWriter()
        var fixed = JSONWriter()
        plain.beginObject()
        fixed.beginObject()
        plain.key("id")
        fixed.key(static: "id")
        plain.integer(1)
        fixed.integer(1)
        plain.key("keyFingerprint")
        fixed.key(static: "keyFingerprint")
        plain.null()
        fixed.null()
        plain.endObject()
        fixed.endObject()
        #expect(fixed.bytes == plain.bytes)
        #expect(fixed.bytes == Array(#"{"id":1,"keyFingerprint":null}"#.utf8))
    }

    @Test func writerWritesNonFiniteAsNull() {
        #expect(JSONWriter.encode(.array([.number(.infinity), .number(.nan)])) == Array("[null,null]".utf8))
    }

    @Test func objectEqualityIgnoresOrder() {
        let a: JSONValue = .object([(key: "x", value: .integer(1)), (key: "y", value: .string("2"))])
        let b: JSONValue = .object([(key: "y", value: .string("2")), (key: "x", value: .integer(1))])
        let c: JSONValue = .object([(key: "y", value: .string("2")), (key: "x", value: .integer(2))])
        #expect(a == b)
        #expect(a.hashValue == b.hashValue)
        #expect(a != c)
        #expect(JSONValue.integer(1) != .number(1))
        #expect(Set([a, b, c]).count == 2)
    }
}
