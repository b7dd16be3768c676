import ReferralProtocol

/// The arguments frame of an ADMIN-1 request, checked: a JSON object whose members have the types the command
/// needs. Anything else is BAD_REQUEST (ADMIN-1 Errors); unknown members are ignored.
struct AdminArguments {
    /// Why a request is BAD_REQUEST. Names the member and what it must be, never its value.
    struct BadRequest: Error {
        var reason: String
    }

    private let value: JSONValue

    /// Deeper than this is not an argument object of any command.
    private static let maxDepth = 4
    /// ADMIN-1 Frames: at most 16384 octets.
    static let maxOctets = 16_384

    init(_ frame: [UInt8]) throws(BadRequest) {
        guard frame.count <= Self.maxOctets else {
            throw BadRequest(reason: "the arguments are larger than \(Self.maxOctets) octets")
        }
        guard let parsed = try? JSONReader.parse(frame, maxDepth: Self.maxDepth), case .object = parsed else {
            throw BadRequest(reason: "the arguments must be a JSON object")
        }
        value = parsed
    }

    /// An optional string member; absent, null or empty is nil.
    func text(_ key: String) throws(BadRequest) -> String? {
        try Self.text(value, key, path: key)
    }

    /// A string member that must be there and not be empty.
    func requiredText(_ key: String, command: String) throws(BadRequest) -> String {
        guard let text = try text(key) else {
            throw BadRequest(reason: "\(command) needs \"\(key)\": a non-empty string")
        }
        return text
    }

    /// An optional object member.
    func object(_ key: String) throws(BadRequest) -> JSONValue? {
        switch value[key] {
        case nil, .null?: return nil
        case let member? where member.isObject: return member
        default: throw BadRequest(reason: "\"\(key)\" must be a JSON object")
        }
    }

    /// An optional integer member of at least `minimum`.
    func integer(_ key: String, minimum: Int64) throws(BadRequest) -> Int64? {
        switch value[key] {
        case nil, .null?: return nil
        case .integer(let number)? where number >= minimum: return number
        default: throw BadRequest(reason: "\"\(key)\" must be an integer of at least \(minimum)")
        }
    }

    static func text(_ object: JSONValue, _ key: String, path: String) throws(BadRequest) -> String? {
        switch object[key] {
        case nil, .null?: return nil
        case .string(let text)?: return text.isEmpty ? nil : text
        default: throw BadRequest(reason: "\"\(path)\" must be a string")
        }
    }
}

extension JSONValue {
    fileprivate var isObject: Bool {
        if case .object = self { return true }
        return false
    }
}
