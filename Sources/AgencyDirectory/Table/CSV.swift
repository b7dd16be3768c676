import Foundation
import ReferralProtocol

/// The little CSV the division files use (RFC 4180: comma-separated, optional double quotes,
/// `""` inside quotes). Enough for these files; not a general CSV library.
struct CSVFile {
    /// The file as named in errors.
    let file: String
    /// Column name → index, from the header line.
    let columns: [String: Int]
    /// Data rows, with their 1-based line numbers.
    let rows: [(line: Int, fields: [String])]

    init(url: URL) throws(ConfigurationError) {
        let file = url.path
        let text: String
        do {
            text = try String(contentsOf: url, encoding: .utf8)
        } catch {
            throw ConfigurationError(file: file, reason: "cannot be read as UTF-8 text")
        }
        var lines = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)
            .enumerated().map { (line: $0.offset + 1, text: $0.element) }
            .filter { !$0.text.isEmpty }
        guard !lines.isEmpty else {
            throw ConfigurationError(file: file, reason: "is empty (a header line is required)")
        }
        let header = lines.removeFirst()
        let names = try Self.split(header.text, file: file, line: header.line)
            .map { $0.hasPrefix("\u{FEFF}") ? String($0.dropFirst()) : $0 }
        var columns: [String: Int] = [:]
        for (index, name) in names.enumerated() { columns[name] = index }
        var rows: [(line: Int, fields: [String])] = []
        for line in lines {
            let fields = try Self.split(line.text, file: file, line: line.line)
            guard fields.count == names.count else {
                throw ConfigurationError(
                    file: file, entry: "line \(line.line)",
                    reason: "has \(fields.count) fields; the header has \(names.count)")
            }
            rows.append((line.line, fields))
        }
        self.file = file
        self.columns = columns
        self.rows = rows
    }

    /// The index of a required column.
    func column(_ name: String) throws(ConfigurationError) -> Int {
        guard let index = columns[name] else {
            throw ConfigurationError(file: file, entry: "line 1", field: name, reason: "required column is missing")
        }
        return index
    }

    func error(line: Int, column: String, _ reason: String) -> ConfigurationError {
        ConfigurationError(file: file, entry: "line \(line)", field: column, reason: reason)
    }

    private static func split(_ line: Substring, file: String, line number: Int) throws(ConfigurationError) -> [String]
    {
        var fields: [String] = []
        var field = ""
        var quoted = false
        var index = line.startIndex
        while index < line.endIndex {
            let character = line[index]
            index = line.index(after: index)
            if quoted {
                if character == "\"" {
                    if index < line.endIndex, line[index] == "\"" {
                        field.append("\"")
                        index = line.index(after: index)
                    } else {
                        quoted = false
                    }
                } else {
                    field.append(character)
                }
            } else if character == "," {
                fields.append(field)
                field = ""
            } else if character == "\"" && field.isEmpty {
                quoted = true
            } else {
                field.append(character)
            }
        }
        guard !quoted else {
            throw ConfigurationError(file: file, entry: "line \(number)", reason: "unterminated quoted field")
        }
        fields.append(field)
        return fields
    }
}
