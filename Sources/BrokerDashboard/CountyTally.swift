/// The aggregates regrouped for the pages: by county and risk, by risk, and in total.
struct CountyTally: Sendable {
    struct Counts: Sendable, Hashable {
        var open: Int64
        var overdue: Int64

        static let zero = Counts(open: 0, overdue: 0)
        static func + (lhs: Counts, rhs: Counts) -> Counts {
            Counts(open: lhs.open + rhs.open, overdue: lhs.overdue + rhs.overdue)
        }
        static func += (lhs: inout Counts, rhs: Counts) { lhs = lhs + rhs }
    }

    /// County code (or the code the store gave, when it is not a county of the table) → risk → counts.
    var byCounty: [String: [String: Counts]] = [:]
    var byRisk: [String: Counts] = [:]
    var total = Counts.zero
    /// The known risk levels first, in order, then any other the store holds.
    let risks: [String]
    /// Counties with open deadlines, by code; then codes that are not counties of the table.
    let rowsInOrder: [String]

    init(_ groups: [DashboardAggregates.Deadlines], divisions: Divisions) {
        var others: Set<String> = []
        for group in groups {
            let county = divisions.county(of: group.county) ?? group.county
            let counts = Counts(open: group.open, overdue: group.overdue)
            byCounty[county, default: [:]][group.risk, default: .zero] += counts
            byRisk[group.risk, default: .zero] += counts
            total += counts
            if !Risk.levels.contains(group.risk) { others.insert(group.risk) }
        }
        risks = Risk.levels + others.sorted()
        let known = Set(divisions.counties)
        rowsInOrder =
            byCounty.keys.filter { known.contains($0) }.sorted() + byCounty.keys.filter { !known.contains($0) }.sorted()
    }

    func overdue(county: String, risk: String) -> Int64 { byCounty[county]?[risk]?.overdue ?? 0 }
}
