/// Building HTML by hand: every string that comes from the broker (ids, names, codes) goes through `escape`, so
/// a node name or case id can never open a tag or an attribute.
enum HTML {
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// A query parameter's value, percent-encoded (then escaped when put in an attribute).
    static func percentEncode(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."),
                UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = Array("0123456789ABCDEF".unicodeScalars)
                out += "%"
                out.unicodeScalars.append(hex[Int(byte >> 4)])
                out.unicodeScalars.append(hex[Int(byte & 0xF)])
            }
        }
        return out
    }

    /// A link (escaped href and text).
    static func link(_ href: String, _ text: String) -> String {
        "<a href=\"\(escape(href))\">\(escape(text))</a>"
    }

    /// A table: header cells (plain text) and rows of cells already rendered as HTML.
    static func table(_ headers: [String], _ rows: [[String]], numeric: Set<Int> = [], caption: String? = nil)
        -> String
    {
        var out = "<table>"
        if let caption { out += "<caption>\(escape(caption))</caption>" }
        out += "<thead><tr>"
        for (index, header) in headers.enumerated() {
            out += numeric.contains(index) ? "<th class=\"n\">" : "<th>"
            out += escape(header) + "</th>"
        }
        out += "</tr></thead><tbody>"
        for row in rows {
            out += "<tr>"
            for (index, cell) in row.enumerated() {
                out += numeric.contains(index) ? "<td class=\"n\">" : "<td>"
                out += cell + "</td>"
            }
            out += "</tr>"
        }
        return out + "</tbody></table>"
    }

    /// The whole page: title, navigation, content; inline style only.
    static func page(title: String, generatedAt: String, _ content: String) -> String {
        """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <link rel="icon" href="data:,">
        <title>\(escape(title)) · referrald</title>
        <style>\(style)</style>
        </head><body>
        <header><strong>referrald</strong>
        <nav><a href="\(Dashboard.base)">Overview</a> <a href="\(Dashboard.base)/overdue">Overdue</a>
        <a href="\(Dashboard.base)/repair">Dead letters &amp; held</a></nav>
        <span class="muted">read-only · \(escape(generatedAt))</span></header>
        <main><h1>\(escape(title))</h1>
        \(content)
        </main></body></html>

        """
    }

    static let style = """
        body{font:14px/1.4 system-ui,sans-serif;margin:0;color:#1d2430;background:#f6f7f9}
        header{display:flex;gap:1.5em;align-items:baseline;padding:.6em 1.2em;background:#1d3557;color:#fff}
        header a{color:#fff;margin-right:1em}main{padding:0 1.2em 2em}
        h1{font-size:1.4em}h2{font-size:1.15em;margin-top:1.6em}
        table{border-collapse:collapse;background:#fff;margin:.4em 0}
        th,td{border:1px solid #d5d9e0;padding:.25em .6em;text-align:left;vertical-align:top}
        th{background:#eef1f5}.n{text-align:right;font-variant-numeric:tabular-nums}
        caption{text-align:left;font-weight:600;padding:.3em 0}
        .muted{color:#6b7480}.cards{display:flex;flex-wrap:wrap;gap:.8em}
        .card{background:#fff;border:1px solid #d5d9e0;padding:.6em 1em;min-width:8em}
        .card b{display:block;font-size:1.6em}.bad{color:#b00020}.ok{color:#1b7a3a}
        .crisis{color:#b00020;font-weight:600}.urgent{color:#c25e00}
        svg text{font:11px system-ui,sans-serif}
        form{margin:.6em 0}input,select{font:inherit}
        """
}
