/// The "text" value type of 1/RBP §5.2: at most N characters (Unicode scalars), none of them a
/// control character (U+0000-U+001F, U+007F). Used for reasons and the HELLO agent.
enum Text {
    static func isValid(_ s: String, maxLength: Int) -> Bool {
        var count = 0
        for scalar in s.unicodeScalars {
            count += 1
            if count > maxLength || isControl(scalar) { return false }
        }
        return true
    }

    /// `s` made valid: control characters become spaces, and it is cut to `maxLength` characters.
    /// The encoder applies it, so that what it writes always decodes.
    static func sanitized(_ s: String, maxLength: Int) -> String {
        if isValid(s, maxLength: maxLength) { return s }
        var out = String.UnicodeScalarView()
        for scalar in s.unicodeScalars.prefix(maxLength) {
            out.append(isControl(scalar) ? " " : scalar)
        }
        return String(out)
    }

    @inline(__always) static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || scalar.value == 0x7F
    }
}
