/// The statistical division codes of one or more provinces: province, prefecture cities,
/// counties and townships, with their names and who is whose parent.
///
/// Why a table at all: every node is placed by a division code, role addresses name a
/// division, and escalation climbs the divisions; a code the table does not know would route
/// to nobody, so codes are checked against it when the directory is loaded.
///
/// Codes are handled in their canonical forms: province `350000`, city `350100`, county
/// `350102`, township `350102001`, village `350102001001`. The short forms `35` (province) and
/// `3501` (city) are accepted as input everywhere and normalised. Villages (12 digits) are not
/// listed in the table: a village code is valid when its first 9 digits are a known township
/// and its last 3 digits are not `000`.
///
/// Parents come from the table's columns, never from slicing the code: county-level units
/// whose middle digits are `90` (省直辖县级, directly under the province in some provinces) or
/// that were moved between cities keep the parent the data gives them.
public struct DivisionTable: Sendable {
    struct Division: Sendable {
        let name: String
        /// Canonical code of the parent; nil for a province.
        let parent: String?
    }

    /// Canonical code → division, for provinces, cities, counties and townships.
    let divisions: [String: Division]
    /// Canonical codes by level (villages excluded), sorted.
    let codesByLevel: [DivisionLevel: [String]]
    /// The level of each listed canonical code.
    let levels: [String: DivisionLevel]

    /// The canonical form of `code` if it is a valid division code of this table, else nil.
    /// Accepts `PP` (province), `PPCC` (city), 6, 9 or 12 digits.
    public func canonicalCode(_ code: String) -> String? {
        guard Grammar.isDigits(code) else { return nil }
        switch code.utf8.count {
        case 2:
            let canonical = code + "0000"
            return levels[canonical] == .province ? canonical : nil
        case 4:
            let canonical = code + "00"
            return levels[canonical] == .city ? canonical : nil
        case 6, 9:
            return levels[code] == nil ? nil : code
        case 12:
            let township = String(code.prefix(9))
            return levels[township] == .township && !code.hasSuffix("000") ? code : nil
        default:
            return nil
        }
    }

    /// Whether `code` is a valid division code of this table (see `canonicalCode`).
    public func isValid(_ code: String) -> Bool {
        canonicalCode(code) != nil
    }

    /// The level of a valid code, or nil.
    public func level(of code: String) -> DivisionLevel? {
        guard let canonical = canonicalCode(code) else { return nil }
        return levels[canonical] ?? .village
    }

    /// The canonical code of the division directly above: village → township → county →
    /// city → province → nil. Nil also for an invalid code.
    public func parent(of code: String) -> String? {
        guard let canonical = canonicalCode(code) else { return nil }
        if let division = divisions[canonical] { return division.parent }
        return String(canonical.prefix(9))  // a village: its township
    }

    /// `code` (canonical) followed by its parent, grandparent, … up to the province: the
    /// order in which routing searches. Empty for an invalid code.
    public func ancestors(of code: String) -> [String] {
        guard var current = canonicalCode(code) else { return [] }
        var chain = [current]
        while let parent = parent(of: current) {
            chain.append(parent)
            current = parent
        }
        return chain
    }

    /// The official name (e.g. 鼓楼区), or nil for an invalid code or a village (villages are
    /// not in the table).
    public func name(of code: String) -> String? {
        canonicalCode(code).flatMap { divisions[$0]?.name }
    }

    /// All canonical codes at `level`, sorted; empty for `.village`.
    public func codes(at level: DivisionLevel) -> [String] {
        codesByLevel[level] ?? []
    }
}
