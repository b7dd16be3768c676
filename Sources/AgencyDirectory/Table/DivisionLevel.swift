/// The five levels of China's administrative hierarchy that routing and escalation walk,
/// from the top down. `Comparable` by depth: `.province < .village`.
public enum DivisionLevel: String, Sendable, CaseIterable, Comparable, CustomStringConvertible {
    /// 省: canonical code `PP0000`.
    case province
    /// 地级市 (prefecture-level city): canonical code `PPCC00`.
    case city
    /// 县级 unit (county, county-level city, district): 6 digits.
    case county
    /// 乡镇/街道 (township, town, street): 9 digits.
    case township
    /// 村/社区 (village, community): 12 digits; not in the table, valid under a known township.
    case village

    public static func < (lhs: DivisionLevel, rhs: DivisionLevel) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }

    public var description: String { rawValue }
}
