import ReferralProtocol

// The small value types the bodies share (protocols/business/schemas/common.schema.json). Each one checks its
// grammar when it is made or decoded, so a decoded body never holds a malformed date, reference or address.

/// A value that is its text, checked against a grammar: decoded from and encoded as one JSON string, and
/// described by that string. Conforming types give `init?(_:)` (the check) and `expectation` (the error text).
public protocol ValidatedText: Codable, Sendable, Hashable, CustomStringConvertible {
    /// The value as written.
    var text: String { get }
    /// The value of `text`, or nil when it does not satisfy the type's grammar.
    init?(_ text: String)
    /// What a malformed value must be, for `BusinessBodyError.malformed`.
    static var expectation: String { get }
}

extension ValidatedText {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let value = Self(text) else {
            throw BusinessBodyError.malformed(path: BusinessCoding.path(of: decoder), problem: Self.expectation)
        }
        self = value
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(text)
    }

    public var description: String { text }
}

/// A calendar date, `YYYY-MM-DD`, in China Standard Time (the schemas' `date`).
public struct CalendarDate: ValidatedText, Comparable {
    /// The date as written: `2026-03-02`.
    public let text: String
    public let year: Int
    public let month: Int
    public let day: Int

    /// A date from its text, or nil when it is not a real `YYYY-MM-DD` date (no 2026-02-30).
    public init?(_ text: String) {
        let u = Array(text.utf8)
        guard u.count == 10, u[4] == UInt8(ascii: "-"), u[7] == UInt8(ascii: "-"),
            let year = Self.number(u[0..<4]), let month = Self.number(u[5..<7]), let day = Self.number(u[8..<10]),
            CivilDate.isValid(year: year, month: month, day: day)
        else { return nil }
        self.text = text
        self.year = year
        self.month = month
        self.day = day
    }

    /// The date `year-month-day`, or nil if there is no such day (years 0001 to 9999).
    public init?(year: Int, month: Int, day: Int) {
        guard (1...9999).contains(year) else { return nil }
        let text =
            String(repeating: "0", count: 4 - String(year).count) + String(year) + "-"
            + (month < 10 ? "0" : "") + String(month) + "-" + (day < 10 ? "0" : "") + String(day)
        self.init(text)
    }

    public static let expectation = "must be a calendar date YYYY-MM-DD"
    public static func < (lhs: CalendarDate, rhs: CalendarDate) -> Bool { lhs.text < rhs.text }

    /// The number of days since 1970-01-01 (negative before).
    public var daysSinceEpoch: Int { Int(CivilDate.days(year: year, month: month, day: day)) }

    /// The date `days` days from the epoch day, or nil outside years 1 to 9999.
    public init?(daysSinceEpoch days: Int) {
        let date = CivilDate.date(days: Int64(days))
        self.init(year: date.year, month: date.month, day: date.day)
    }

    /// This date plus `days` days (nil beyond year 9999).
    public func adding(days: Int) -> CalendarDate? { CalendarDate(daysSinceEpoch: daysSinceEpoch + days) }

    /// This date plus `months` calendar months; the day is clamped to the end of a shorter month
    /// (2026-01-31 plus one month is 2026-02-28).
    public func adding(months: Int) -> CalendarDate? {
        let index = year * 12 + (month - 1) + months
        let newYear = index / 12
        let newMonth = index % 12 + 1
        guard (1...9999).contains(newYear) else { return nil }
        let lastDay = CivilDate.daysIn(month: newMonth, year: newYear)
        return CalendarDate(year: newYear, month: newMonth, day: min(day, lastDay))
    }

    static func number(_ digits: ArraySlice<UInt8>) -> Int? {
        var value = 0
        for c in digits {
            guard c >= UInt8(ascii: "0"), c <= UInt8(ascii: "9") else { return nil }
            value = value * 10 + Int(c - UInt8(ascii: "0"))
        }
        return value
    }
}

/// An instant: RFC 3339 with seconds and an explicit offset, no fraction (`2026-03-02T09:30:00+08:00`), kept
/// as written (the schemas' `timestamp`).
public struct Timestamp: ValidatedText {
    public let text: String

    public init?(_ text: String) {
        guard Self.isValid(text) else { return nil }
        self.text = text
    }

    public static let expectation = "must be a date-time like 2026-03-02T09:30:00+08:00"

    /// Milliseconds since the Unix epoch (the 1/RBP `time`).
    public var millisecondsSinceEpoch: Int64 {
        let u = Array(text.utf8)
        let date = CalendarDate(String(decoding: u[0..<10], as: UTF8.self))!
        let hour = CalendarDate.number(u[11..<13])!
        let minute = CalendarDate.number(u[14..<16])!
        let second = CalendarDate.number(u[17..<19])!
        var offset = 0
        if u.count == 25 {
            let sign = u[19] == UInt8(ascii: "-") ? -1 : 1
            offset = sign * (CalendarDate.number(u[20..<22])! * 60 + CalendarDate.number(u[23..<25])!)
        }
        let seconds = Int64(date.daysSinceEpoch) * 86_400 + Int64(hour * 3600 + minute * 60 + second - offset * 60)
        return seconds * 1000
    }

    static func isValid(_ text: String) -> Bool {
        let u = Array(text.utf8)
        guard u.count == 20 || u.count == 25, CalendarDate(String(decoding: u[0..<10], as: UTF8.self)) != nil,
            u[10] == UInt8(ascii: "T"), u[13] == UInt8(ascii: ":"), u[16] == UInt8(ascii: ":"),
            let hour = CalendarDate.number(u[11..<13]), hour <= 23,
            let minute = CalendarDate.number(u[14..<16]), minute <= 59,
            let second = CalendarDate.number(u[17..<19]), second <= 59
        else { return false }
        if u.count == 20 { return u[19] == UInt8(ascii: "Z") }
        guard u[19] == UInt8(ascii: "+") || u[19] == UInt8(ascii: "-"), u[22] == UInt8(ascii: ":"),
            let hours = CalendarDate.number(u[20..<22]), hours <= 23,
            let minutes = CalendarDate.number(u[23..<25]), minutes <= 59
        else { return false }
        return true
    }
}

/// The child's pseudonymous reference agreed between the agencies (`PX-0001`): 2–64 characters of letters,
/// digits and `. _ : -`, starting with a letter or digit, with at least one letter, and never shaped like a
/// resident identity number. It is not a name and must not encode one.
public struct ChildReference: ValidatedText {
    public let text: String

    public init?(_ text: String) {
        guard Self.isValid(text) else { return nil }
        self.text = text
    }

    public static let expectation = "must be a pseudonymous reference (letters, digits, . _ : -, not an ID number)"

    static func isValid(_ text: String) -> Bool {
        let u = Array(text.utf8)
        guard (2...64).contains(u.count), isAlnum(u[0]) else { return false }
        var letters = 0
        for c in u {
            guard
                isAlnum(c) || c == UInt8(ascii: ".") || c == UInt8(ascii: "_") || c == UInt8(ascii: ":")
                    || c == UInt8(ascii: "-")
            else { return false }
            if !isDigit(c) && isAlnum(c) { letters += 1 }
        }
        guard letters > 0 else { return false }
        // A resident identity number: 17 digits and a check character (a digit or X).
        let looksLikeIdNumber =
            u.count == 18 && u[0..<17].allSatisfy(isDigit)
            && (isDigit(u[17]) || u[17] == UInt8(ascii: "X") || u[17] == UInt8(ascii: "x"))
        return !looksLikeIdNumber
    }

    private static func isDigit(_ c: UInt8) -> Bool { c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") }
    private static func isAlnum(_ c: UInt8) -> Bool {
        isDigit(c) || (c >= UInt8(ascii: "a") && c <= UInt8(ascii: "z"))
            || (c >= UInt8(ascii: "A") && c <= UInt8(ascii: "Z"))
    }
}

/// An opaque reference to a record the issuing agency keeps (a consent record, the service's own referral
/// number, a follow-up plan): 1–64 characters of letters, digits and `. _ : / -`, starting with a letter
/// or digit.
public struct RecordReference: ValidatedText {
    public let text: String

    public init?(_ text: String) {
        guard Self.isValid(text) else { return nil }
        self.text = text
    }

    public static let expectation = "must be a record reference (letters, digits, . _ : / -)"

    static func isValid(_ text: String) -> Bool {
        let u = Array(text.utf8)
        guard (1...64).contains(u.count) else { return false }
        for (index, c) in u.enumerated() {
            let alnum =
                (c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9")) || (c >= UInt8(ascii: "a") && c <= UInt8(ascii: "z"))
                || (c >= UInt8(ascii: "A") && c <= UInt8(ascii: "Z"))
            if index == 0 {
                guard alnum else { return false }
            } else {
                guard
                    alnum || c == UInt8(ascii: ".") || c == UInt8(ascii: "_") || c == UInt8(ascii: ":")
                        || c == UInt8(ascii: "/") || c == UInt8(ascii: "-")
                else { return false }
            }
        }
        return true
    }
}

/// An administrative division code: 6 digits (province, city, county), 9 (township) or 12 (village).
public struct DivisionCode: ValidatedText {
    public let text: String

    public init?(_ text: String) {
        guard Self.isValid(text) else { return nil }
        self.text = text
    }

    public static let expectation = "must be a division code of 6, 9 or 12 digits"

    static func isValid(_ text: String) -> Bool {
        [6, 9, 12].contains(text.utf8.count)
            && text.utf8.allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
    }
}

/// A 1/RBP address naming a party: a node id, `node:ID`, or `role:AGENCY/KIND@DIVISION`.
public struct PartyAddress: ValidatedText {
    public let text: String

    public init?(_ text: String) {
        guard Identifiers.isValidAddress(text) else { return nil }
        self.text = text
    }

    public static let expectation = "must be a node id, node:ID or role:AGENCY/KIND@DIVISION"

    /// The agency of a role address (`health` for `role:health/psychiatric-clinic@350102`), nil for a node.
    public var roleAgency: String? {
        guard text.hasPrefix("role:"), let slash = text.firstIndex(of: "/") else { return nil }
        return String(text[text.index(text.startIndex, offsetBy: 5)..<slash])
    }
}

/// How to reach an agency's desk or team about the case: never the child's or the family's contact.
public struct Contact: Codable, Sendable, Hashable {
    /// The team or desk, e.g. "Child psychology outpatient desk"; at most 80 characters.
    public var unit: String
    /// The desk's phone number: digits, spaces and `-`, optionally a leading `+`.
    public var phone: String
    /// When the desk answers, e.g. "Mon-Fri 08:00-17:00".
    public var hours: String?

    public init(unit: String, phone: String, hours: String? = nil) {
        self.unit = unit
        self.phone = phone
        self.hours = hours
    }
}

/// The four-colour risk grade; it decides the header priority where a body carries it.
public enum RiskColour: String, Codable, Sendable, Hashable, CaseIterable {
    case green, yellow, orange, red

    /// green and yellow → routine, orange → urgent, red → crisis.
    public var priority: Priority {
        switch self {
        case .green, .yellow: .routine
        case .orange: .urgent
        case .red: .crisis
        }
    }
}

/// The child's age as a band; 14 is the boundary of PIPL Art. 31 (guardian consent).
public enum AgeBand: String, Codable, Sendable, Hashable, CaseIterable {
    case upTo5 = "0-5"
    case from6To11 = "6-11"
    case from12To13 = "12-13"
    case from14To17 = "14-17"

    public var isUnder14: Bool { self != .from14To17 }
}
