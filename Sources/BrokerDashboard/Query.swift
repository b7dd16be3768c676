/// A URL query string's parameters (`a=1&b=x%20y`), percent- and plus-decoded; the first of a repeated name wins.
struct Query: Sendable {
    private var values: [String: String] = [:]

    init(_ query: String?) {
        guard let query, !query.isEmpty else { return }
        for pair in query.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = Self.decode(String(parts[0]).replacingPlus())
            let value = parts.count > 1 ? Self.decode(String(parts[1]).replacingPlus()) : ""
            if values[name] == nil { values[name] = value }
        }
    }

    /// The value, nil when absent or empty (as ADMIN-1 reads optional filters).
    subscript(_ name: String) -> String? {
        guard let value = values[name]?.trimmed, !value.isEmpty else { return nil }
        return value
    }

    /// Percent-decoding; a malformed escape is kept as it is, invalid UTF-8 becomes U+FFFD.
    static func decode(_ text: String) -> String {
        var bytes: [UInt8] = []
        var utf8 = Array(text.utf8)[...]
        while let byte = utf8.popFirst() {
            if byte == UInt8(ascii: "%"), utf8.count >= 2, let high = hex(utf8[utf8.startIndex]),
                let low = hex(utf8[utf8.startIndex + 1])
            {
                bytes.append(high << 4 | low)
                utf8 = utf8.dropFirst(2)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func hex(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

extension String {
    fileprivate func replacingPlus() -> String {
        String(unicodeScalars.map { $0 == "+" ? " " : Character($0) })
    }

    fileprivate var trimmed: String {
        var scalars = Substring(self).unicodeScalars[...]
        while let first = scalars.first, first.properties.isWhitespace { scalars = scalars.dropFirst() }
        while let last = scalars.last, last.properties.isWhitespace { scalars = scalars.dropLast() }
        return String(String.UnicodeScalarView(scalars))
    }
}
