import Foundation
import ReferralProtocol
import Synchronization

/// Writing to stdout and stderr without buffering, so a line is out before anything that follows it.
enum Output {
    /// Serialises writes to stdout, so lines written by concurrent tasks never interleave.
    private static let stdout = Mutex(0)

    static func line(_ text: String) {
        write(Data((text + "\n").utf8))
    }

    private static func write(_ data: Data) {
        stdout.withLock { _ in FileHandle.standardOutput.write(data) }
    }

    static func error(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }

    /// One compact JSON line, members in the given order.
    static func json(_ members: [(key: String, value: JSONValue)]) {
        var bytes = JSONWriter.encode(.object(members))
        bytes.append(UInt8(ascii: "\n"))
        write(Data(bytes))
    }

    /// A time (ms since the epoch) as ISO 8601 UTC with milliseconds.
    static func time(_ millis: Int64) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: Date(timeIntervalSince1970: Double(millis) / 1000))
    }

    /// A duration in ms as "1d 2h 3m 4s".
    static func duration(_ millis: Int64) -> String {
        var seconds = max(0, millis / 1000)
        let days = seconds / 86_400
        seconds %= 86_400
        let hours = seconds / 3600
        seconds %= 3600
        let minutes = seconds / 60
        seconds %= 60
        var parts: [String] = []
        if days > 0 { parts.append("\(days)d") }
        if days > 0 || hours > 0 { parts.append("\(hours)h") }
        if days > 0 || hours > 0 || minutes > 0 { parts.append("\(minutes)m") }
        parts.append("\(seconds)s")
        return parts.joined(separator: " ")
    }

    /// Rows as left-aligned columns separated by two spaces.
    static func table(_ rows: [[String]]) -> [String] {
        guard let width = rows.map(\.count).max() else { return [] }
        var widths = Array(repeating: 0, count: width)
        for row in rows {
            for (index, cell) in row.enumerated() { widths[index] = max(widths[index], cell.count) }
        }
        return rows.map { row in
            row.enumerated().map { index, cell in
                index == row.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }
    }
}
