/// Reading the operator's JSON files (the broker's and the nodes' configuration, the directory,
/// the authorization policy, the escalation policies, the calendar) with the strict reader:
/// members in document order, integers kept exact, duplicate member names refused.
///
/// Why not `Codable` structs for the files: `Codable` ignores unknown keys (a misspelt
/// `"pubic_key"` would silently vanish) and its errors name coding paths, not entries. Reading
/// into a `JSONValue` tree first lets the loaders refuse unknown keys and word every error
/// themselves.
package enum JSONFile {
    /// Nesting deeper than this is refused; the files need 4 levels at most.
    package static let maxDepth = 16

    /// Parses `data`; a syntax error is reported against `file` with its line and column. A
    /// leading UTF-8 byte order mark (as some editors write) is skipped.
    package static func parse(_ data: some Collection<UInt8>, file: String?) throws(ConfigurationError) -> JSONValue {
        var bytes = Array(data)
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes.removeFirst(3) }
        do throws(JSONError) {
            return try JSONReader.parse(bytes, maxDepth: maxDepth)
        } catch {
            let (line, column) = position(of: error.offset, in: bytes)
            throw ConfigurationError(
                file: file, reason: "not valid JSON (line \(line), column \(column): \(error.reason))")
        }
    }

    /// The 1-based line and column (in characters, i.e. Unicode scalars) of octet `offset`.
    static func position(of offset: Int, in bytes: [UInt8]) -> (line: Int, column: Int) {
        var line = 1
        var column = 1
        for byte in bytes.prefix(offset) {
            if byte == 0x0A {
                line += 1
                column = 1
            } else if byte & 0xC0 != 0x80 {  // not a UTF-8 continuation octet
                column += 1
            }
        }
        return (line, column)
    }
}

extension JSONValue {
    /// A short name of the value's type, for "must be a string, not a number" errors.
    package var typeName: String {
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

/// Reads the members of one JSON object, words errors against one place in one file, and
/// remembers which keys were read so that `refuseUnknownKeys` can name the others.
package struct JSONObjectReader {
    /// The object's members in document order (names are unique when it came from `JSONFile`).
    package let members: [(key: String, value: JSONValue)]
    package let file: String?
    package let entry: String?
    /// Where this object is below `entry`, as a key path (`redelivery`, `levels.routine`); errors name
    /// its keys `path.key`. nil for the entry (or the file) itself.
    package let path: String?
    private(set) var read: Set<String> = []

    package init(_ value: JSONValue, file: String?, entry: String? = nil, path: String? = nil)
        throws(ConfigurationError)
    {
        guard case .object(let members) = value else {
            throw ConfigurationError(
                file: file, entry: entry, field: path, reason: "must be a JSON object, not \(value.typeName)")
        }
        self.members = members
        self.file = file
        self.entry = entry
        self.path = path
    }

    /// The error of `key` (nil: of this object as a whole).
    package func error(_ key: String?, _ reason: String) -> ConfigurationError {
        ConfigurationError(file: file, entry: entry, field: keyPath(key), reason: reason)
    }

    /// `key` as errors name it: below `path` when there is one.
    func keyPath(_ key: String?) -> String? {
        guard let key else { return path }
        return path.map { "\($0).\(key)" } ?? key
    }

    /// Reads `key` as an object with keys of its own, named `key.member` in errors.
    package mutating func optionalReader(_ key: String) throws(ConfigurationError) -> JSONObjectReader? {
        guard let value = value(key) else { return nil }
        return try JSONObjectReader(value, file: file, entry: entry, path: keyPath(key))
    }

    package mutating func value(_ key: String) -> JSONValue? {
        read.insert(key)
        return members.first { $0.key == key }?.value
    }

    package mutating func optionalString(_ key: String) throws(ConfigurationError) -> String? {
        guard let value = value(key) else { return nil }
        guard case .string(let text) = value else { throw error(key, "must be a string, not \(value.typeName)") }
        return text
    }

    package mutating func string(_ key: String) throws(ConfigurationError) -> String {
        guard let text = try optionalString(key) else { throw error(key, "is required") }
        return text
    }

    package mutating func optionalInteger(_ key: String) throws(ConfigurationError) -> Int? {
        guard let value = value(key) else { return nil }
        guard case .integer(let number) = value, let integer = Int(exactly: number) else {
            throw error(key, "must be an integer, not \(value.typeName)")
        }
        return integer
    }

    package mutating func optionalBool(_ key: String) throws(ConfigurationError) -> Bool? {
        guard let value = value(key) else { return nil }
        guard case .bool(let flag) = value else { throw error(key, "must be true or false, not \(value.typeName)") }
        return flag
    }

    /// Reads `key` as an object whose member names are data (not a fixed set of keys).
    package mutating func optionalObject(_ key: String) throws(ConfigurationError) -> [(key: String, value: JSONValue)]?
    {
        guard let value = value(key) else { return nil }
        guard case .object(let members) = value else { throw error(key, "must be an object, not \(value.typeName)") }
        return members
    }

    package mutating func optionalArray(_ key: String) throws(ConfigurationError) -> [JSONValue]? {
        guard let value = value(key) else { return nil }
        guard case .array(let items) = value else { throw error(key, "must be an array, not \(value.typeName)") }
        return items
    }

    package mutating func array(_ key: String) throws(ConfigurationError) -> [JSONValue] {
        guard let items = try optionalArray(key) else { throw error(key, "is required") }
        return items
    }

    /// Reads `key` as an array of strings; a bad item i is reported as field `key[i]`.
    package mutating func optionalStrings(_ key: String) throws(ConfigurationError) -> [String]? {
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
    package mutating func version(_ expected: Int) throws(ConfigurationError) {
        guard let value = value("version") else { throw error("version", "is required (\(expected))") }
        guard case .integer(let number) = value, number == expected else {
            throw error("version", "must be \(expected); this broker reads version \(expected) only")
        }
    }

    /// Throws for the first (alphabetically) key that was never read: a misspelt key is a
    /// mistake to report, not to ignore.
    package func refuseUnknownKeys() throws(ConfigurationError) {
        if let unknown = members.map(\.key).filter({ !read.contains($0) }).sorted().first {
            throw error(unknown, "unknown key")
        }
    }
}
