/// The grammars of 1/RBP §6 for node ids, message ids, kinds and case ids.
public enum Identifiers {
    /// 1-64 characters of `[a-z0-9._-]`, starting with `[a-z0-9]`.
    public static func isValidNodeId(_ s: String) -> Bool {
        var count = 0
        for c in s.utf8 {
            count += 1
            if count > 64 { return false }
            if isLowerAlnum(c) { continue }
            if count > 1 && (c == UInt8(ascii: ".") || c == UInt8(ascii: "_") || c == UInt8(ascii: "-")) {
                continue
            }
            return false
        }
        return count > 0
    }

    /// 1-128 characters of `[A-Za-z0-9._:@-]`. Session ids use the same grammar.
    public static func isValidMessageId(_ s: String) -> Bool {
        var count = 0
        for c in s.utf8 {
            count += 1
            guard count <= 128, isIdChar(c) else { return false }
        }
        return count > 0
    }

    /// `segment *("." segment)`, 1-64 characters, where a segment is a lowercase letter followed by
    /// lowercase letters, digits or "-".
    public static func isValidKind(_ s: String) -> Bool {
        var count = 0
        var atSegmentStart = true
        for c in s.utf8 {
            count += 1
            if count > 64 { return false }
            if atSegmentStart {
                guard isLowerAlpha(c) else { return false }
                atSegmentStart = false
            } else if c == UInt8(ascii: ".") {
                atSegmentStart = true
            } else if !(isLowerAlnum(c) || c == UInt8(ascii: "-")) {
                return false
            }
        }
        return count > 0 && !atSegmentStart
    }

    /// The lowercase form of a UUID in canonical 8-4-4-4-12 hexadecimal form (either case), or nil.
    public static func normalizedCaseId(_ s: String) -> String? {
        guard s.utf8.count == 36 else { return nil }
        var allLowercase = true
        var index = 0
        for c in s.utf8 {
            if index == 8 || index == 13 || index == 18 || index == 23 {
                guard c == UInt8(ascii: "-") else { return nil }
            } else if isDigit(c) || (c >= UInt8(ascii: "a") && c <= UInt8(ascii: "f")) {
                // already canonical
            } else if c >= UInt8(ascii: "A") && c <= UInt8(ascii: "F") {
                allLowercase = false
            } else {
                return nil
            }
            index += 1
        }
        if allLowercase { return s }
        return String(unsafeUninitializedCapacity: 36) { buffer in
            var i = 0
            for c in s.utf8 {
                buffer[i] = (c >= UInt8(ascii: "A") && c <= UInt8(ascii: "F")) ? c + 32 : c
                i += 1
            }
            return 36
        }
    }

    // MARK: - character classes

    @inline(__always) static func isDigit(_ c: UInt8) -> Bool { c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") }
    @inline(__always) static func isLowerAlpha(_ c: UInt8) -> Bool { c >= UInt8(ascii: "a") && c <= UInt8(ascii: "z") }
    @inline(__always) static func isLowerAlnum(_ c: UInt8) -> Bool { isLowerAlpha(c) || isDigit(c) }

    @inline(__always) static func isIdChar(_ c: UInt8) -> Bool {
        isLowerAlnum(c) || (c >= UInt8(ascii: "A") && c <= UInt8(ascii: "Z")) || c == UInt8(ascii: ".")
            || c == UInt8(ascii: "_") || c == UInt8(ascii: ":") || c == UInt8(ascii: "@") || c == UInt8(ascii: "-")
    }
}
