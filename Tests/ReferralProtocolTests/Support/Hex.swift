enum Hex {
    struct Invalid: Error {}

    static func decode(_ text: String) throws -> [UInt8] {
        let digits = Array(text.utf8)
        guard digits.count % 2 == 0 else { throw Invalid() }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(digits.count / 2)
        var k = 0
        while k < digits.count {
            bytes.append(try nibble(digits[k]) << 4 | nibble(digits[k + 1]))
            k += 2
        }
        return bytes
    }

    private static func nibble(_ c: UInt8) throws -> UInt8 {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
        default: throw Invalid()
        }
    }
}

extension Array where Element == UInt8 {
    init(ascii text: String) { self = Array(text.utf8) }
}
