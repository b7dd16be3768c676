/// A value an ADMIN-1 object member may hold; nil (an absent optional) leaves the member out (ADMIN-1: absent,
/// never null).
protocol AdminJSONMember {
    var adminJSON: JSONValue? { get }
}

extension JSONValue: AdminJSONMember { var adminJSON: JSONValue? { self } }
extension String: AdminJSONMember { var adminJSON: JSONValue? { .string(self) } }
extension Int64: AdminJSONMember { var adminJSON: JSONValue? { .integer(self) } }
extension Int: AdminJSONMember { var adminJSON: JSONValue? { .integer(Int64(self)) } }
extension Bool: AdminJSONMember { var adminJSON: JSONValue? { .bool(self) } }
extension Array: AdminJSONMember where Element: AdminJSONMember {
    var adminJSON: JSONValue? { .array(compactMap(\.adminJSON)) }
}
extension Optional: AdminJSONMember where Wrapped: AdminJSONMember {
    var adminJSON: JSONValue? { self?.adminJSON }
}

extension AdminCodec {
    /// An object as the broker writes it: members sorted by name (octet order), the order referrald has always
    /// written ADMIN-1 replies in; nil members left out.
    static func object(_ members: KeyValuePairs<String, any AdminJSONMember>) -> JSONValue {
        let present = members.compactMap { member in member.value.adminJSON.map { (key: member.key, value: $0) } }
        return .object(present.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) })
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
        guard case .object = value else {
            throw Malformed(description: "\(path.isEmpty ? "the result" : path) must be an object")
        }
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
    func optionalBool(_ key: String) throws(Malformed) -> Bool? { try optional(key, "true or false", \.boolValue) }
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

    /// An object member a broker of this version may leave out (absent or null: nil).
    func optionalObject(_ key: String) throws(Malformed) -> AdminObjectReader? {
        let member = try optional(key, "an object") { value -> JSONValue? in
            if case .object = value { value } else { nil }
        }
        guard let member else { return nil }
        return try AdminObjectReader(member, path: name(key))
    }

    /// An array of objects a broker may leave out (absent or null: nil).
    func optionalObjects<T>(_ key: String, _ read: (AdminObjectReader) throws(Malformed) -> T) throws(Malformed)
        -> [T]?
    {
        guard present(key) != nil else { return nil }
        return try objects(key, read)
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
