/// The value grammars shared with the wire protocol (1/RBP §6) and the CURVE key format.
///
/// Checked byte by byte on UTF-8 so that no Unicode look-alike ("ｓchool", a Cyrillic "а")
/// can pass as an ASCII id.
enum Grammar {
    /// node-id: 1-64 of `[a-z0-9._-]`, the first `[a-z0-9]`.
    static func isNodeId(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard (1...64).contains(bytes.count), isLowerAlnum(bytes[0]) else { return false }
        return bytes.allSatisfy {
            isLowerAlnum($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-")
        }
    }

    /// One segment of a kind: `[a-z][a-z0-9-]*`. Agencies and node kinds are single segments;
    /// message kinds are dotted segments.
    static func isSegment(_ text: Substring) -> Bool {
        let bytes = Array(text.utf8)
        guard let first = bytes.first, (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(first) else { return false }
        return bytes.allSatisfy { isLowerAlnum($0) || $0 == UInt8(ascii: "-") }
    }

    /// A node kind or agency name: one segment of at most 64 characters.
    static func isName(_ text: String) -> Bool {
        text.utf8.count <= 64 && isSegment(Substring(text))
    }

    /// A message kind: dotted segments, 1-64 characters in total (1/RBP `kind`).
    static func isMessageKind(_ text: String) -> Bool {
        guard (1...64).contains(text.utf8.count) else { return false }
        // `isSegment` for each `.`-separated part (empty parts included), in one pass without allocating.
        var atSegmentStart = true
        for byte in text.utf8 {
            if atSegmentStart {
                guard (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) else { return false }
                atSegmentStart = false
            } else if byte == UInt8(ascii: ".") {
                atSegmentStart = true
            } else if !(isLowerAlnum(byte) || byte == UInt8(ascii: "-")) {
                return false
            }
        }
        return !atSegmentStart
    }

    /// The 85 characters of Z85 (ZeroMQ RFC 32), in order.
    static let z85Alphabet = Set(
        "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#".utf8)

    /// A CURVE public key as Z85 text: exactly 40 characters of the Z85 alphabet (32 octets).
    /// Only the form is checked; whether it is a usable Curve25519 key is libzmq's business.
    static func isZ85Key(_ text: String) -> Bool {
        text.utf8.count == 40 && text.utf8.allSatisfy { z85Alphabet.contains($0) }
    }

    /// Only ASCII digits (and at least one).
    static func isDigits(_ text: some StringProtocol) -> Bool {
        !text.isEmpty && text.utf8.allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
    }

    /// A display name: 1-128 characters, not blank, no control characters (they would corrupt
    /// logs and one-line listings).
    static func isDisplayName(_ text: String) -> Bool {
        guard (1...128).contains(text.count), !text.allSatisfy(\.isWhitespace) else { return false }
        return !text.unicodeScalars.contains { $0.properties.generalCategory == .control }
    }

    private static func isLowerAlnum(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }
}
