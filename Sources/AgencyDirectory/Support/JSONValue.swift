import Foundation

/// A parsed JSON value, kept exactly as written (integer vs. fraction, bool vs. number).
///
/// Why not `Codable` structs for the files: `Codable` ignores unknown keys (a misspelt
/// `"pubic_key"` would silently vanish) and its errors name coding paths, not entries. Reading
/// into this tree first lets the loaders refuse unknown keys and word every error themselves.
enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case integer(Int)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    /// Parses `data`; a syntax error is reported against `file` with the position Foundation
    /// gives.
    static func parse(_ data: Data, file: String?) throws(ConfigurationError) -> JSONValue {
        if let value = try? JSONDecoder().decode(JSONValue.self, from: data) { return value }
        throw ConfigurationError(file: file, reason: syntaxError(in: data))
    }

    /// JSONDecoder says only "not valid JSON"; JSONSerialization says where.
    private static func syntaxError(in data: Data) -> String {
        do {
            _ = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
        } catch {
            if let detail = (error as NSError).userInfo["NSDebugDescription"] as? String {
                return "not valid JSON (\(detail))"
            }
        }
        return "not valid JSON"
    }

    /// A short name of the value's type, for "must be a string, not a number" errors.
    var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .integer, .number: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }
}

extension JSONValue: Decodable {
    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int.self) {
            self = .integer(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }
}

/// Reads the members of one JSON object, words errors against one place in one file, and
/// remembers which keys were read so that `refuseUnknownKeys` can name the others.
struct JSONObjectReader {
    let members: [String: JSONValue]
    let file: String?
    let entry: String?
    private(set) var read: Set<String> = []

    init(_ value: JSONValue, file: String?, entry: String?) throws(ConfigurationError) {
        guard case .object(let members) = value else {
            throw ConfigurationError(file: file, entry: entry, reason: "must be a JSON object, not \(value.typeName)")
        }
        self.members = members
        self.file = file
        self.entry = entry
    }

    func error(_ field: String?, _ reason: String) -> ConfigurationError {
        ConfigurationError(file: file, entry: entry, field: field, reason: reason)
    }

    mutating func value(_ key: String) -> JSONValue? {
        read.insert(key)
        return members[key]
    }

    mutating func string(_ key: String) throws(ConfigurationError) -> String {
        guard let value = value(key) else { throw error(key, "is required") }
        guard case .string(let text) = value else { throw error(key, "must be a string, not \(value.typeName)") }
        return text
    }

    mutating func optionalArray(_ key: String) throws(ConfigurationError) -> [JSONValue]? {
        guard let value = value(key) else { return nil }
        guard case .array(let items) = value else { throw error(key, "must be an array, not \(value.typeName)") }
        return items
    }

    mutating func array(_ key: String) throws(ConfigurationError) -> [JSONValue] {
        guard let items = try optionalArray(key) else { throw error(key, "is required") }
        return items
    }

    /// Reads `key` as an array of strings; a bad item i is reported as field `key[i]`.
    mutating func optionalStrings(_ key: String) throws(ConfigurationError) -> [String]? {
        guard let items = try optionalArray(key) else { return nil }
        var strings: [String] = []
        for (index, item) in items.enumerated() {
            guard case .string(let text) = item else {
                throw error("\(key)[\(index)]", "must be a string, not \(item.typeName)")
            }
            strings.append(text)
        }
        return strings
    }

    /// Checks `version` is present and the integer `expected`.
    mutating func version(_ expected: Int) throws(ConfigurationError) {
        guard let value = value("version") else { throw error("version", "is required (\(expected))") }
        guard case .integer(expected) = value else {
            throw error("version", "must be \(expected); this broker reads version \(expected) only")
        }
    }

    /// Throws for the first (alphabetically) key that was never read: a misspelt key is a
    /// mistake to report, not to ignore.
    func refuseUnknownKeys() throws(ConfigurationError) {
        if let unknown = members.keys.filter({ !read.contains($0) }).sorted().first {
            throw error(unknown, "unknown key")
        }
    }
}
