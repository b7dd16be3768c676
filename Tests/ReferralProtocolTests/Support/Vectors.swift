import Foundation
import Testing

@testable import ReferralProtocol

/// The test vectors of protocols/vectors/ (format: protocols/1-RBP.md §15).
enum Vectors {
    static let directory: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // Support
        .deletingLastPathComponent()  // ReferralProtocolTests
        .deletingLastPathComponent()  // Tests
        .deletingLastPathComponent()  // package root
        .appendingPathComponent("protocols/vectors")

    struct LoadError: Error, CustomStringConvertible {
        var description: String
    }

    static func load(_ file: String) throws -> [JSONValue] {
        let path = directory.appendingPathComponent(file).path
        guard let data = FileManager.default.contents(atPath: path) else {
            throw LoadError(description: "cannot read \(path)")
        }
        guard case .array(let vectors) = try JSONReader.parse(Array(data), maxDepth: 16) else {
            throw LoadError(description: "\(file) is not a JSON array")
        }
        return vectors
    }

    static func valid() throws -> [ValidVector] { try load("valid.json").map(ValidVector.init) }
    static func invalid() throws -> [InvalidVector] { try load("invalid.json").map(InvalidVector.init) }
}

struct ValidVector: Sendable, CustomTestStringConvertible {
    var name: String
    var direction: Direction
    var frames: [[UInt8]]
    var command: String
    var header: JSONValue
    var body: [UInt8]?
    /// The content digest of 1/RBP §12.7, present for SEND (computed by the generator from the spec's text).
    var digest: [UInt8]?

    var testDescription: String { name }

    init(_ json: JSONValue) throws {
        name = try json.required("name").string()
        direction = try json.required("direction").string() == "node-to-broker" ? .nodeToBroker : .brokerToNode
        frames = try json.required("frames").hexFrames()
        command = try json.required("command").string()
        header = try json.required("header")
        body = try json["body_hex"].map { try Hex.decode($0.string()) }
        digest = try json["digest"].map { try Hex.decode($0.string()) }
    }
}

struct InvalidVector: Sendable, CustomTestStringConvertible {
    var name: String
    var context: String
    var frames: [[UInt8]]
    var codec: Bool
    var code: ErrorCode
    var reply: String
    var field: String?
    var id: String?
    var recipient: String?
    var fatal: Bool?
    /// A QUERY's ERROR: the `ref` it carries (1/RBP §8 step 8).
    var ref: String?

    var testDescription: String { name }

    init(_ json: JSONValue) throws {
        name = try json.required("name").string()
        context = try json.required("context").string()
        frames = try json.required("frames").hexFrames()
        codec = json["codec"]?.boolValue ?? true
        let error = try json.required("error")
        code = ErrorCode(rawValue: try error.required("code").string())
        reply = try error.required("reply").string()
        field = error["field"]?.stringValue
        id = error["id"]?.stringValue
        ref = error["ref"]?.stringValue
        recipient = error["recipient"]?.stringValue
        fatal = error["fatal"]?.boolValue
    }
}

extension JSONValue {
    struct Missing: Error, CustomStringConvertible {
        var description: String
    }

    func required(_ key: String) throws -> JSONValue {
        guard let value = self[key] else { throw Missing(description: "missing member \(key)") }
        return value
    }

    func string() throws -> String {
        guard let s = stringValue else { throw Missing(description: "expected a string") }
        return s
    }

    func hexFrames() throws -> [[UInt8]] {
        guard let elements = arrayValue else { throw Missing(description: "expected an array of hex strings") }
        return try elements.map { try Hex.decode($0.string()) }
    }
}
