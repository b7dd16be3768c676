/// The grammars of 1/RBP §6 for node ids, addresses, message ids, kinds and case ids.
public enum Identifiers {
    /// 1-64 characters of `[a-z0-9._-]`, starting with `[a-z0-9]`.
    public static func isValidNodeId(_ s: String) -> Bool {
        isNodeId(s.utf8)
    }

    /// A recipient address of a SEND's `to` (1/RBP §6, §7.3), at most 128 characters:
    ///
    /// ```abnf
    /// address      = node-address / role-address
    /// node-address = [ %s"node:" ] node-id
    /// role-address = %s"role:" agency "/" ( node-kind / "*" ) "@" division
    /// agency       = name
    /// node-kind    = name
    /// name         = LCALPHA 0*31( LCALPHA / DIGIT / "-" )
    /// division     = 6DIGIT / 9DIGIT / 12DIGIT
    /// ```
    ///
    /// Grammar only: whether the agency, kind and division exist is the broker's business
    /// (UNKNOWN_AGENCY, UNKNOWN_KIND, UNKNOWN_DIVISION).
    public static func isValidAddress(_ s: String) -> Bool {
        if isNodeId(s.utf8) { return true }  // the common case, and every version 1 recipient
        if let result = s.utf8.withContiguousStorageIfAvailable(isAddress) { return result }
        return Array(s.utf8).withUnsafeBufferPointer(isAddress)
    }

    /// What is wrong with an address that `isValidAddress` refuses, naming the bad part (the agency, node kind or
    /// division of a role address, the id of a node address) rather than the whole grammar; nil for a valid one.
    /// `quoting: false` leaves the parts' values out (the broker's reasons never echo what a node sent).
    public static func addressProblem(_ s: String, quoting: Bool = true) -> String? {
        if isValidAddress(s) { return nil }
        if s.utf8.count > Limits.maxAddressLength { return "is longer than \(Limits.maxAddressLength) characters" }
        func part(_ name: String, _ value: Substring) -> String { quoting ? "\(name) \"\(value)\"" : name }
        let nodeIdRule = "a node id is 1-64 of a-z 0-9 . _ -, starting with a letter or digit"
        if s.hasPrefix("node:") { return "has \(part("node id", s.dropFirst(5))): \(nodeIdRule)" }
        guard s.hasPrefix("role:") else {
            return "is not a node id (\(nodeIdRule)), node:ID or role:AGENCY/KIND@DIVISION"
        }
        let rest = s.dropFirst(5)
        guard let slash = rest.firstIndex(of: "/"), let at = rest.lastIndex(of: "@"), slash < at else {
            return "is not of the form role:AGENCY/KIND@DIVISION"
        }
        let agency = rest[..<slash]
        let kind = rest[rest.index(after: slash)..<at]
        let division = rest[rest.index(after: at)...]
        let nameRule = "1-32 of a-z 0-9 -, starting with a letter"
        if !isName(agency) { return "has \(part("agency", agency)): an agency is \(nameRule)" }
        if kind != "*" && !isName(kind) { return "has \(part("node kind", kind)): a node kind is * or \(nameRule)" }
        return "has \(part("division", division)): a division code is 6 digits (province, city, county), "
            + "9 (township) or 12 (village)"
    }

    private static func isName(_ s: Substring) -> Bool {
        guard let first = s.utf8.first, isLowerAlpha(first), s.utf8.count <= 32 else { return false }
        return s.utf8.allSatisfy { isLowerAlnum($0) || $0 == UInt8(ascii: "-") }
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

    /// A broker store's epoch (WELCOME `store`): exactly 32 of `[0-9a-f]`.
    public static func isValidStoreEpoch(_ s: String) -> Bool {
        s.utf8.count == 32 && s.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
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

    // MARK: - byte-level helpers

    @inline(__always) static func isNodeId<C: Collection<UInt8>>(_ bytes: C) -> Bool {
        var count = 0
        for c in bytes {
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

    /// The address grammar over the octets of a string (see `isValidAddress`).
    static func isAddress(_ b: UnsafeBufferPointer<UInt8>) -> Bool {
        guard b.count <= Limits.maxAddressLength else { return false }
        if hasPrefix(b, "node:") { return isNodeId(b[5...]) }
        guard hasPrefix(b, "role:") else { return false }
        // agency "/"
        guard let afterAgency = scanName(b, from: 5), afterAgency < b.count, b[afterAgency] == UInt8(ascii: "/")
        else { return false }
        var i = afterAgency + 1
        // ( node-kind / "*" ) "@"
        if i < b.count && b[i] == UInt8(ascii: "*") {
            i += 1
        } else {
            guard let afterKind = scanName(b, from: i) else { return false }
            i = afterKind
        }
        guard i < b.count, b[i] == UInt8(ascii: "@") else { return false }
        i += 1
        // division
        let digits = b.count - i
        guard digits == 6 || digits == 9 || digits == 12 else { return false }
        while i < b.count {
            guard isDigit(b[i]) else { return false }
            i += 1
        }
        return true
    }

    /// Whether `b` starts with the ASCII octets of `prefix`.
    @inline(__always) static func hasPrefix(_ b: UnsafeBufferPointer<UInt8>, _ prefix: StaticString) -> Bool {
        let count = prefix.utf8CodeUnitCount
        guard b.count >= count else { return false }
        for k in 0..<count where b[k] != prefix.utf8Start[k] { return false }
        return true
    }

    /// A `name` (1-32 of `[a-z0-9-]`, starting with `[a-z]`) at `start`: the index after it, or nil.
    @inline(__always) static func scanName(_ b: UnsafeBufferPointer<UInt8>, from start: Int) -> Int? {
        guard start < b.count, isLowerAlpha(b[start]) else { return nil }
        var i = start + 1
        while i < b.count, isLowerAlnum(b[i]) || b[i] == UInt8(ascii: "-") { i += 1 }
        return i - start <= 32 ? i : nil
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
