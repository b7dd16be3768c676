import Foundation
import Logging
import ReferralProtocol

/// Logs one line per event to standard error: a JSON object (`log_format: json`, for log
/// shippers) or `time level message key=value` (`text`, for people). Callers never pass
/// message bodies; metadata holds ids, kinds, node ids and codes only.
public struct StructuredLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level
    let label: String
    let json: Bool

    public init(label: String, level: Logger.Level, json: Bool) {
        self.label = label
        self.logLevel = level
        self.json = json
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let extra = event.metadata { merged.merge(extra) { _, new in new } }
        let line = Self.line(
            time: Self.timestamp(), level: event.level, message: "\(event.message)", metadata: merged, json: json)
        FileHandle.standardError.write(Data(line))
    }

    /// One log line with its newline. JSON: one compact object of strings, members sorted by name, written by
    /// ReferralProtocol's JSONWriter (quotes, control characters and newlines escaped, so a line stays one line);
    /// a metadata key `ts`, `level` or `msg` replaces the handler's own member, as it always has.
    static func line(
        time: String, level: Logger.Level, message: String, metadata: Logger.Metadata, json: Bool
    ) -> [UInt8] {
        guard json else {
            var line = "\(time) \(level.rawValue.uppercased()) \(message)"
            for key in metadata.keys.sorted() { line += " \(key)=\(metadata[key]!)" }
            return Array((line + "\n").utf8)
        }
        var members = ["ts": time, "level": level.rawValue, "msg": message]
        for (key, value) in metadata { members[key] = "\(value)" }
        var writer = JSONWriter()
        writer.beginObject()
        for key in members.keys.sorted() {
            writer.key(key)
            writer.string(members[key]!)
        }
        writer.endObject()
        return writer.bytes + [UInt8(ascii: "\n")]
    }

    static func timestamp() -> String {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        var time = tm()
        var seconds = spec.tv_sec
        gmtime_r(&seconds, &time)
        return String(
            format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", time.tm_year + 1900, time.tm_mon + 1, time.tm_mday,
            time.tm_hour, time.tm_min, time.tm_sec, spec.tv_nsec / 1_000_000)
    }
}
