/// The duration grammar of the policy document: `<whole number><s|m|h|d>`, or `off`.
enum DurationText {
    static let maxMs: Int64 = 3650 * ChinaTime.dayMs

    /// Milliseconds, or nil for a text that is not a positive duration up to 3650 days.
    static func parse(_ text: String) -> Int64? {
        guard let unit = text.last, text.count >= 2, text.count <= 12 else { return nil }
        let unitMs: Int64
        switch unit {
        case "s": unitMs = 1000
        case "m": unitMs = ChinaTime.minuteMs
        case "h": unitMs = ChinaTime.hourMs
        case "d": unitMs = ChinaTime.dayMs
        default: return nil
        }
        let digits = text.dropLast()
        guard digits.allSatisfy({ $0.isASCII && $0.isNumber }), let count = Int64(digits), count > 0 else { return nil }
        let (ms, overflow) = count.multipliedReportingOverflow(by: unitMs)
        return overflow || ms > maxMs ? nil : ms
    }

    /// `.some(nil)` for `off`, `.some(ms)` for a duration, nil for anything else.
    static func parseOptional(_ text: String) -> Int64?? {
        text == "off" ? .some(nil) : parse(text).map { .some($0) }
    }
}
