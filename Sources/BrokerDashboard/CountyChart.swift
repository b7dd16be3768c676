/// The overdue items of every county of the table as an inline SVG bar chart: one row per county (by code, so a
/// city's counties stay together), bars stacked by risk level, a `<title>` on each bar for hovering. No script.
enum CountyChart {
    static let rowHeight = 16
    static let labelWidth = 190
    static let barWidth = 520

    static func svg(_ tally: CountyTally, divisions: Divisions) -> String {
        let counties = divisions.counties
        let largest =
            counties.map { county in
                Risk.levels.reduce(Int64(0)) { $0 + tally.overdue(county: county, risk: $1) }
            }.max() ?? 0
        let scale = Double(barWidth) / Double(max(largest, 1))
        let legendHeight = 22
        let height = legendHeight + counties.count * rowHeight + 4
        let width = labelWidth + barWidth + 60
        var out =
            "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" width=\"\(width)\" height=\"\(height)\""
            + " viewBox=\"0 0 \(width) \(height)\" aria-label=\"Overdue items by county\">"
        var x = labelWidth
        for risk in Risk.levels {
            out += "<rect x=\"\(x)\" y=\"4\" width=\"10\" height=\"10\" fill=\"\(Risk.colours[risk] ?? "#999")\"/>"
            out += "<text x=\"\(x + 14)\" y=\"13\">\(HTML.escape(risk))</text>"
            x += 90
        }
        for (row, county) in counties.enumerated() {
            let y = legendHeight + row * rowHeight
            let name = divisions.name(of: county) ?? ""
            out += "<g class=\"county\" data-county=\"\(HTML.escape(county))\">"
            out += "<text x=\"0\" y=\"\(y + 12)\">\(HTML.escape(county)) \(HTML.escape(name))</text>"
            var offset = Double(labelWidth)
            var total: Int64 = 0
            for risk in Risk.levels {
                let count = tally.overdue(county: county, risk: risk)
                guard count > 0 else { continue }
                let length = max(Double(count) * scale, 2)
                out +=
                    "<rect x=\"\(format(offset))\" y=\"\(y + 2)\" width=\"\(format(length))\" height=\"12\""
                    + " fill=\"\(Risk.colours[risk] ?? "#999")\"><title>\(HTML.escape(name)) (\(HTML.escape(county))):"
                    + " \(count) \(HTML.escape(risk)) overdue</title></rect>"
                offset += length
                total += count
            }
            if total > 0 { out += "<text x=\"\(format(offset + 4))\" y=\"\(y + 12)\">\(total)</text>" }
            out += "</g>"
        }
        return out + "</svg>"
    }

    private static func format(_ value: Double) -> String {
        String(Double(Int(value * 10)) / 10)
    }
}
