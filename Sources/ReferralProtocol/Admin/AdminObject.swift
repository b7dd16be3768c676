/// A reply object being written: members are sorted by name (octet order) when it is finished, the order
/// referrald has always written ADMIN-1 replies in. Nil members are left out (ADMIN-1: absent, never null).
struct AdminObjectWriter {
    private var members: [(key: String, value: JSONValue)] = []

    mutating func set(_ key: String, _ value: JSONValue) { members.append((key, value)) }
    mutating func set(_ key: String, _ value: String?) { if let value { set(key, .string(value)) } }
    mutating func set(_ key: String, _ value: Int64?) { if let value { set(key, .integer(value)) } }
    mutating func set(_ key: String, _ value: Int) { set(key, .integer(Int64(value))) }
    mutating func set(_ key: String, _ value: Bool) { set(key, .bool(value)) }
    mutating func set(_ key: String, _ values: [String]) { set(key, .array(values.map(JSONValue.string))) }
    mutating func set(_ key: String, _ values: [JSONValue]) { set(key, .array(values)) }

    var json: JSONValue {
        .object(members.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) })
    }
}

/// A reply object being read by a client: a member ADMIN-1 always sends must be there with its type, an
/// optional one may be absent or null, and members it does not know are ignored (ADMIN-1: results grow).
struct AdminObjectReader {
    /// Why a reply is not ADMIN-1: the member path and what it must be.
    struct Malformed: Error, Sendable, Hashable, CustomStringConvertible {
        var description: String
    }

    let value: JSONValue
    let path: String

    init(_ value: JSONValue, path: String = "") throws(Malformed) {
        guard case .object = value else { throw Malformed(description: "\(path.isEmpty ? "the result" : path) must be an object") }
        self.value = value
        self.path = path
    }

    private func name(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    private func present(_ key: String) -> JSONValue? {
        switch value[key] {
        case nil, .null?: nil
        case let member?: member
        }
    }

    private func required<T>(_ key: String, _ type: String, _ read: (JSONValue) -> T?) throws(Malformed) -> T {
        guard let member = present(key), let typed = read(member) else {
            throw Malformed(description: "\"\(name(key))\" must be \(type)")
        }
        return typed
    }

    private func optional<T>(_ key: String, _ type: String, _ read: (JSONValue) -> T?) throws(Malformed) -> T? {
        guard let member = present(key) else { return nil }
        guard let typed = read(member) else { throw Malformed(description: "\"\(name(key))\" must be \(type)") }
        return typed
    }

    func string(_ key: String) throws(Malformed) -> String { try required(key, "a string", \.stringValue) }
    func optionalString(_ key: String) throws(Malformed) -> String? { try optional(key, "a string", \.stringValue) }
    func integer(_ key: String) throws(Malformed) -> Int64 { try required(key, "an integer", \.integerValue) }
    func optionalInteger(_ key: String) throws(Malformed) -> Int64? {
        try optional(key, "an integer", \.integerValue)
    }
    func count(_ key: String) throws(Malformed) -> Int { Int(try integer(key)) }
    func bool(_ key: String) throws(Malformed) -> Bool { try required(key, "true or false", \.boolValue) }
    func flag(_ key: String) throws(Malformed) -> Bool { try optional(key, "true or false", \.boolValue) ?? false }

    func strings(_ key: String) throws(Malformed) -> [String] {
        try required(key, "an array of strings") { member -> [String]? in
            guard let elements = member.arrayValue else { return nil }
            let strings = elements.compactMap(\.stringValue)
            return strings.count == elements.count ? strings : nil
        }
    }

    func object(_ key: String) throws(Malformed) -> AdminObjectReader {
        try AdminObjectReader(try required(key, "an object") { $0 }, path: name(key))
    }

    /// An array of objects, each read by `read`.
    func objects<T>(_ key: String, _ read: (AdminObjectReader) throws(Malformed) -> T) throws(Malformed) -> [T] {
        let elements = try required(key, "an array", \.arrayValue)
        var result: [T] = []
        result.reserveCapacity(elements.count)
        for (index, element) in elements.enumerated() {
            result.append(try read(try AdminObjectReader(element, path: "\(name(key))[\(index)]")))
        }
        return result
    }
}
