import Testing

@testable import ReferralProtocol

/// The ADMIN-1 vectors of protocols/vectors/ (admin-*.json, written by generate.py from admin.py).
struct AdminRequestVector: Sendable, CustomTestStringConvertible {
    var name: String
    var frames: [[UInt8]]
    var command: String
    /// The arguments the request means, in the form a client writes them.
    var arguments: JSONValue
    /// The frames are exactly what the encoder writes for this request.
    var canonical: Bool

    var testDescription: String { name }

    init(_ json: JSONValue) throws {
        name = try json.required("name").string()
        frames = try json.required("frames").hexFrames()
        command = try json.required("command").string()
        arguments = try json.required("arguments")
        canonical = json["canonical"]?.boolValue ?? true
    }

    static func all() throws -> [AdminRequestVector] { try Vectors.load("admin-requests.json").map(Self.init) }
}

struct AdminReplyVector: Sendable, CustomTestStringConvertible {
    var name: String
    var command: AdminCommand
    var ok: Bool
    var frames: [[UInt8]]
    /// The result (or error) object a client reads, without the members a later broker may add.
    var result: JSONValue
    var canonical: Bool

    var testDescription: String { name }

    init(_ json: JSONValue) throws {
        name = try json.required("name").string()
        let commandName = try json.required("command").string()
        command = try #require(AdminCommand(rawValue: commandName), "no command \(commandName)")
        ok = try json.required("status").string() == "OK"
        frames = try json.required("frames").hexFrames()
        result = try json.required("result")
        canonical = json["canonical"]?.boolValue ?? true
    }

    static func all() throws -> [AdminReplyVector] { try Vectors.load("admin-replies.json").map(Self.init) }
}

struct AdminInvalidVector: Sendable, CustomTestStringConvertible {
    var name: String
    var frames: [[UInt8]]
    var error: AdminError

    var testDescription: String { name }

    init(_ json: JSONValue) throws {
        name = try json.required("name").string()
        frames = try json.required("frames").hexFrames()
        let error = try json.required("error")
        self.error = AdminError(
            AdminError.Code(rawValue: try error.required("code").string()), try error.required("reason").string())
    }

    static func all() throws -> [AdminInvalidVector] { try Vectors.load("admin-invalid.json").map(Self.init) }
}
