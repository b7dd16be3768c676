import AgencyDirectory

/// The division table as the dashboard uses it: the counties of the chart and the names of codes.
struct Divisions: Sendable {
    let table: DivisionTable
    /// Every county-level unit of the table, sorted by code.
    let counties: [String]

    init(table: DivisionTable) {
        self.table = table
        self.counties = table.codes(at: .county)
    }

    /// The county (6-digit code) a division code lies in, or nil when it lies above county level or is unknown.
    func county(of code: String) -> String? {
        table.ancestors(of: code).first { table.level(of: $0) == .county }
    }

    /// "鼓楼区 (350102)", or the code alone when the table does not name it.
    func label(_ code: String) -> String {
        guard let name = table.name(of: code) else { return code }
        return "\(name) (\(code))"
    }

    /// The city a county belongs to, by name.
    func cityName(of county: String) -> String {
        table.parent(of: county).flatMap { table.name(of: $0) } ?? ""
    }

    func name(of code: String) -> String? { table.name(of: code) }
}
