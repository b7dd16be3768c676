import Logging
import ReferralProtocol
import Testing

@testable import StructuredLogging

/// The daemon's log lines (`log_format`): JSON written by ReferralProtocol's JSONWriter, one object per line.
@Suite struct StructuredLogHandlerTests {
    private static let newline = UInt8(ascii: "\n")

    @Test func aJSONLineIsCompactWithItsMembersSortedByName() {
        let line = StructuredLogHandler.line(
            time: "2026-12-03T16:00:00.000Z", level: .notice, message: "accepted",
            metadata: ["seq": "42", "node": "send-01", "path": "/var/lib/referrald"], json: true)
        let expected =
            #"{"level":"notice","msg":"accepted","node":"send-01","path":"/var/lib/referrald","seq":"42","#
            + #""ts":"2026-12-03T16:00:00.000Z"}"# + "\n"
        #expect(String(decoding: line, as: UTF8.self) == expected)
    }

    @Test func awkwardMetadataStaysOneValidJSONLine() throws {
        let awkward: [String: String] = [
            "reason": #"a "quoted" word, a back\slash"#,
            "problem": "two\nlines\r\nand a\ttab \u{1} \u{7F}",
            "node": "Gǔlóu 鼓楼 clinic ✓ 🏥",
        ]
        let line = StructuredLogHandler.line(
            time: "2026-12-03T16:00:00.000Z", level: .warning, message: "made-up \"message\"\nover two lines",
            metadata: awkward.mapValues { .string($0) }, json: true)
        #expect(line.last == Self.newline)
        #expect(line.filter { $0 == Self.newline }.count == 1)
        let object = try JSONReader.parse(Array(line.dropLast()), maxDepth: 2)
        for (key, value) in awkward { #expect(object[key]?.stringValue == value) }
        #expect(object["msg"]?.stringValue == "made-up \"message\"\nover two lines")
        #expect(object["level"]?.stringValue == "warning")
    }

    @Test func aTextLineIsTimeLevelMessageAndSortedPairs() {
        let line = StructuredLogHandler.line(
            time: "2026-12-03T16:00:00.000Z", level: .info, message: "started",
            metadata: ["window": "1024", "endpoint": "tcp://127.0.0.1:5555"], json: false)
        #expect(
            String(decoding: line, as: UTF8.self)
                == "2026-12-03T16:00:00.000Z INFO started endpoint=tcp://127.0.0.1:5555 window=1024\n")
    }
}
