/// Why a JSON text was refused. `reason` describes the structure only, never the content.
public struct JSONError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Octet offset of the fault.
    public var offset: Int
    public var reason: String

    public init(offset: Int, reason: String) {
        self.offset = offset
        self.reason = reason
    }

    public var description: String { "\(reason) at octet \(offset)" }
}

/// A strict RFC 8259 reader: one value, optional whitespace around it, nothing else. It rejects
/// invalid UTF-8 (overlong forms, encoded surrogates, values above U+10FFFF), unescaped control
/// characters, unknown escapes, unpaired surrogate escapes, leading zeros, NaN and the like,
/// trailing commas, a byte order mark, trailing data, numbers beyond the range of Double,
/// duplicate member names (compared after unescaping) and nesting deeper than `maxDepth` (a
/// top-level array or object has depth 1).
public enum JSONReader {
    public static func parse(_ bytes: [UInt8], maxDepth: Int) throws(JSONError) -> JSONValue {
        let result: Result<JSONValue, JSONError> = bytes.withUnsafeBufferPointer { buffer in
            var parser = Parser(input: buffer, maxDepth: maxDepth)
            do throws(JSONError) {
                return .success(try parser.parseDocument())
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }
}

private let quote = UInt8(ascii: "\"")
private let backslash = UInt8(ascii: "\\")

private struct Parser {
    let input: UnsafeBufferPointer<UInt8>
    let maxDepth: Int
    var index = 0
    var depth = 0

    init(input: UnsafeBufferPointer<UInt8>, maxDepth: Int) {
        self.input = input
        self.maxDepth = maxDepth
    }

    func fail(_ reason: String) -> JSONError { JSONError(offset: index, reason: reason) }

    mutating func parseDocument() throws(JSONError) -> JSONValue {
        skipWhitespace()
        let value = try parseValue()
        skipWhitespace()
        guard index == input.count else { throw fail("unexpected data after the JSON value") }
        return value
    }

    mutating func skipWhitespace() {
        while index < input.count {
            switch input[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    mutating func parseValue() throws(JSONError) -> JSONValue {
        guard index < input.count else { throw fail("unexpected end of input") }
        switch input[index] {
        case UInt8(ascii: "{"): return try parseObject()
        case UInt8(ascii: "["): return try parseArray()
        case quote: return .string(try parseString())
        case UInt8(ascii: "t"):
            try parseLiteral("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try parseLiteral("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try parseLiteral("null")
            return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
        default: throw fail("unexpected character")
        }
    }

    mutating func parseLiteral(_ word: StaticString) throws(JSONError) {
        let count = word.utf8CodeUnitCount
        guard input.count - index >= count else { throw fail("invalid literal") }
        for k in 0..<count where input[index + k] != word.utf8Start[k] { throw fail("invalid literal") }
        index += count
    }

    mutating func enter() throws(JSONError) {
        depth += 1
        guard depth <= maxDepth else { throw fail("nesting deeper than \(maxDepth)") }
        index += 1
    }

    mutating func parseObject() throws(JSONError) -> JSONValue {
        try enter()
        var members: [(key: String, value: JSONValue)] = []
        var names: Set<String>? = nil  // built once an object has many members
        skipWhitespace()
        if index < input.count && input[index] == UInt8(ascii: "}") {
            index += 1
            depth -= 1
            return .object(members)
        }
        while true {
            skipWhitespace()
            guard index < input.count, input[index] == quote else { throw fail("expected a member name") }
            let nameOffset = index
            let name = try parseString()
            if names != nil {
                guard names!.insert(name).inserted else {
                    throw JSONError(offset: nameOffset, reason: "duplicate member name")
                }
            } else if members.count >= 8 {
                var set = Set(members.map(\.key))
                guard set.insert(name).inserted else {
                    throw JSONError(offset: nameOffset, reason: "duplicate member name")
                }
                names = set
            } else {
                for member in members where member.key == name {
                    throw JSONError(offset: nameOffset, reason: "duplicate member name")
                }
            }
            skipWhitespace()
            guard index < input.count, input[index] == UInt8(ascii: ":") else { throw fail("expected ':'") }
            index += 1
            skipWhitespace()
            let value = try parseValue()
            members.append((key: name, value: value))
            skipWhitespace()
            guard index < input.count else { throw fail("unterminated object") }
            if input[index] == UInt8(ascii: ",") {
                index += 1
            } else if input[index] == UInt8(ascii: "}") {
                index += 1
                depth -= 1
                return .object(members)
            } else {
                throw fail("expected ',' or '}'")
            }
        }
    }

    mutating func parseArray() throws(JSONError) -> JSONValue {
        try enter()
        var elements: [JSONValue] = []
        skipWhitespace()
        if index < input.count && input[index] == UInt8(ascii: "]") {
            index += 1
            depth -= 1
            return .array(elements)
        }
        while true {
            skipWhitespace()
            elements.append(try parseValue())
            skipWhitespace()
            guard index < input.count else { throw fail("unterminated array") }
            if input[index] == UInt8(ascii: ",") {
                index += 1
            } else if input[index] == UInt8(ascii: "]") {
                index += 1
                depth -= 1
                return .array(elements)
            } else {
                throw fail("expected ',' or ']'")
            }
        }
    }

    // MARK: - strings

    /// Parses the string starting at the opening quote. The fast path (no escapes) makes the
    /// String straight from the validated input.
    mutating func parseString() throws(JSONError) -> String {
        index += 1
        let start = index
        while index < input.count {
            let c = input[index]
            if c == quote {
                let s = String(decoding: UnsafeBufferPointer(rebasing: input[start..<index]), as: UTF8.self)
                index += 1
                return s
            } else if c == backslash {
                return try parseEscapedString(from: start)
            } else if c < 0x20 {
                throw fail("control character in a string")
            } else if c < 0x80 {
                index += 1
            } else {
                try skipMultiByteScalar()
            }
        }
        throw fail("unterminated string")
    }

    /// The slow path: copies what was scanned and decodes escapes from `index` on.
    mutating func parseEscapedString(from start: Int) throws(JSONError) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(index - start + 16)
        out.append(contentsOf: UnsafeBufferPointer(rebasing: input[start..<index]))
        while index < input.count {
            let c = input[index]
            if c == quote {
                index += 1
                return String(decoding: out, as: UTF8.self)
            } else if c == backslash {
                index += 1
                guard index < input.count else { break }
                let e = input[index]
                index += 1
                switch e {
                case quote, backslash, UInt8(ascii: "/"): out.append(e)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "u"): appendUTF8(try parseUnicodeEscape(), to: &out)
                default:
                    index -= 1
                    throw fail("invalid escape")
                }
            } else if c < 0x20 {
                throw fail("control character in a string")
            } else if c < 0x80 {
                out.append(c)
                index += 1
            } else {
                let scalarStart = index
                try skipMultiByteScalar()
                out.append(contentsOf: UnsafeBufferPointer(rebasing: input[scalarStart..<index]))
            }
        }
        throw fail("unterminated string")
    }

    /// After `\u`: four hex digits, and for a high surrogate the `\uXXXX` of its low surrogate.
    mutating func parseUnicodeEscape() throws(JSONError) -> UInt32 {
        let first = try parseHex4()
        switch first {
        case 0xD800...0xDBFF:
            guard input.count - index >= 6, input[index] == backslash, input[index + 1] == UInt8(ascii: "u") else {
                throw fail("unpaired surrogate escape")
            }
            index += 2
            let second = try parseHex4()
            guard (0xDC00...0xDFFF).contains(second) else { throw fail("unpaired surrogate escape") }
            return 0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
        case 0xDC00...0xDFFF:
            throw fail("unpaired surrogate escape")
        default:
            return first
        }
    }

    mutating func parseHex4() throws(JSONError) -> UInt32 {
        guard input.count - index >= 4 else { throw fail("invalid \\u escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let c = input[index]
            let digit: UInt8
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = c - UInt8(ascii: "A") + 10
            default: throw fail("invalid \\u escape")
            }
            value = value << 4 | UInt32(digit)
            index += 1
        }
        return value
    }

    func appendUTF8(_ scalar: UInt32, to out: inout [UInt8]) {
        switch scalar {
        case 0..<0x80:
            out.append(UInt8(scalar))
        case 0x80..<0x800:
            out.append(UInt8(0xC0 | scalar >> 6))
            out.append(UInt8(0x80 | scalar & 0x3F))
        case 0x800..<0x10000:
            out.append(UInt8(0xE0 | scalar >> 12))
            out.append(UInt8(0x80 | scalar >> 6 & 0x3F))
            out.append(UInt8(0x80 | scalar & 0x3F))
        default:
            out.append(UInt8(0xF0 | scalar >> 18))
            out.append(UInt8(0x80 | scalar >> 12 & 0x3F))
            out.append(UInt8(0x80 | scalar >> 6 & 0x3F))
            out.append(UInt8(0x80 | scalar & 0x3F))
        }
    }

    /// Validates one UTF-8 sequence of 2-4 octets at `index` (RFC 3629, table 3-7 of Unicode) and
    /// moves past it.
    mutating func skipMultiByteScalar() throws(JSONError) {
        let lead = input[index]
        let length: Int
        var secondRange: ClosedRange<UInt8> = 0x80...0xBF
        switch lead {
        case 0xC2...0xDF: length = 2
        case 0xE0:
            length = 3
            secondRange = 0xA0...0xBF
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED:
            length = 3
            secondRange = 0x80...0x9F
        case 0xF0:
            length = 4
            secondRange = 0x90...0xBF
        case 0xF1...0xF3: length = 4
        case 0xF4:
            length = 4
            secondRange = 0x80...0x8F
        default: throw fail("invalid UTF-8")
        }
        guard input.count - index >= length, secondRange.contains(input[index + 1]) else { throw fail("invalid UTF-8") }
        for k in 2..<length where !(0x80...0xBF).contains(input[index + k]) { throw fail("invalid UTF-8") }
        index += length
    }

    // MARK: - numbers

    mutating func parseNumber() throws(JSONError) -> JSONValue {
        let start = index
        if input[index] == UInt8(ascii: "-") { index += 1 }
        guard index < input.count, isDigit(input[index]) else { throw fail("invalid number") }
        if input[index] == UInt8(ascii: "0") {
            index += 1
            if index < input.count && isDigit(input[index]) { throw fail("leading zero in a number") }
        } else {
            while index < input.count && isDigit(input[index]) { index += 1 }
        }
        let integerEnd = index
        var isInteger = true
        if index < input.count && input[index] == UInt8(ascii: ".") {
            isInteger = false
            index += 1
            try skipDigits()
        }
        if index < input.count && (input[index] == UInt8(ascii: "e") || input[index] == UInt8(ascii: "E")) {
            isInteger = false
            index += 1
            if index < input.count && (input[index] == UInt8(ascii: "+") || input[index] == UInt8(ascii: "-")) {
                index += 1
            }
            try skipDigits()
        }
        if isInteger, let value = integerValue(start, integerEnd) { return .integer(value) }
        let text = String(decoding: UnsafeBufferPointer(rebasing: input[start..<index]), as: UTF8.self)
        guard let value = Double(text), value.isFinite else {
            throw JSONError(offset: start, reason: "number out of range")
        }
        return .number(value)
    }

    mutating func skipDigits() throws(JSONError) {
        guard index < input.count, isDigit(input[index]) else { throw fail("invalid number") }
        while index < input.count && isDigit(input[index]) { index += 1 }
    }

    /// The integer in `start..<end` (already validated), or nil if it does not fit in Int64.
    func integerValue(_ start: Int, _ end: Int) -> Int64? {
        let negative = input[start] == UInt8(ascii: "-")
        var value: Int64 = 0  // accumulated negatively, so that Int64.min fits
        for k in (negative ? start + 1 : start)..<end {
            let (times10, o1) = value.multipliedReportingOverflow(by: 10)
            let (next, o2) = times10.subtractingReportingOverflow(Int64(input[k] - UInt8(ascii: "0")))
            if o1 || o2 { return nil }
            value = next
        }
        if negative { return value }
        return value == Int64.min ? nil : -value
    }

    @inline(__always) func isDigit(_ c: UInt8) -> Bool { c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") }
}
