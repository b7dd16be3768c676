import Foundation

/// JSON encoding and decoding of business bodies: Foundation's `JSONEncoder`/`JSONDecoder` with snake_case
/// member names (`convertToSnakeCase`/`convertFromSnakeCase`), so a property `childRef` is the member
/// `child_ref` of the schemas. Optional properties that are nil are left out, never written as `null`.
public enum BusinessCoding {
    /// A new encoder: snake_case members, sorted, `/` unescaped, so that one body always gives the same bytes
    /// (a resend after a crash is then identical content for the broker's deduplication).
    public static func makeEncoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    /// A new decoder: snake_case members.
    public static func makeDecoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return decoder
    }

    /// The body as JSON octets, after `validate()`.
    public static func encode<Body: BusinessBody>(_ body: Body) throws(BusinessBodyError) -> [UInt8] {
        try body.validate()
        do {
            return Array(try makeEncoder().encode(body))
        } catch {
            throw .malformed(path: "", problem: "cannot be encoded as JSON")
        }
    }

    /// Decodes and validates a body.
    ///
    /// `strict` (the default) also refuses what the Swift type would silently drop: a member the schema does
    /// not have (version 1 bodies are closed: minimum necessary) and `null` members. The check re-encodes
    /// the decoded value and compares it with the input as parsed JSON.
    public static func decode<Body: BusinessBody>(
        _ type: Body.Type, from bytes: some Collection<UInt8>, strict: Bool = true
    ) throws(BusinessBodyError) -> Body {
        let data = Data(bytes)
        let tree: JSONTree
        do {
            tree = try JSONDecoder().decode(JSONTree.self, from: data)
        } catch {
            throw .notAnObject
        }
        guard case .object = tree else { throw .notAnObject }
        let body: Body
        do {
            body = try makeDecoder().decode(Body.self, from: data)
        } catch let error as BusinessBodyError {
            throw error
        } catch let error as DecodingError {
            throw malformed(error)
        } catch {
            throw .malformed(path: "", problem: "cannot be decoded")
        }
        try body.validate()
        if strict {
            let again: JSONTree
            do {
                again = try JSONDecoder().decode(JSONTree.self, from: makeEncoder().encode(body))
            } catch {
                throw .malformed(path: "", problem: "cannot be encoded as JSON")
            }
            if let path = tree.firstDifference(from: again) { throw .unexpectedMember(path: path) }
        }
        return body
    }

    /// A `DecodingError` as a path and a problem, without the value (Foundation's descriptions may quote it).
    static func malformed(_ error: DecodingError) -> BusinessBodyError {
        switch error {
        case .keyNotFound(let key, let context):
            .malformed(path: path(context.codingPath + [key]), problem: "is missing")
        case .valueNotFound(_, let context):
            .malformed(path: path(context.codingPath), problem: "is null or missing")
        case .typeMismatch(_, let context):
            .malformed(path: path(context.codingPath), problem: "has the wrong JSON type")
        case .dataCorrupted(let context):
            .malformed(path: path(context.codingPath), problem: "has a value outside its grammar or code list")
        @unknown default:
            .malformed(path: "", problem: "cannot be decoded")
        }
    }

    /// A coding path as the schema's member names: `lawful_basis/given_by`, `steps/1`.
    static func path(_ codingPath: [any CodingKey]) -> String {
        codingPath.map { key in
            if let index = key.intValue { return String(index) }
            return snakeCase(key.stringValue)
        }.joined(separator: "/")
    }

    /// `givenBy` → `given_by` (names already in snake_case stay as they are).
    static func snakeCase(_ name: String) -> String {
        var result = ""
        for character in name {
            if character.isUppercase {
                if !result.isEmpty { result.append("_") }
                result.append(contentsOf: character.lowercased())
            } else {
                result.append(character)
            }
        }
        return result
    }
}

extension BusinessCoding {
    /// The path of the decoder's current value, for errors thrown by value types.
    static func path(of decoder: any Decoder) -> String { path(decoder.codingPath) }
}

/// A parsed JSON value that keeps integers, fractions and booleans apart, for comparing a body with its
/// re-encoding (a strict decode, and the tests).
enum JSONTree: Decodable, Equatable, Sendable {
    case null
    case bool(Bool)
    case integer(Int64)
    case number(Double)
    case string(String)
    case array([JSONTree])
    case object([String: JSONTree])

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int64.self) {
            self = .integer(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONTree].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONTree].self))
        }
    }

    /// The path of the first place where `self` has something `other` has not (or differs), or nil.
    func firstDifference(from other: JSONTree, at path: String = "") -> String? {
        switch (self, other) {
        case (.object(let mine), .object(let theirs)):
            for name in mine.keys.sorted() {
                let child = path.isEmpty ? name : path + "/" + name
                guard let counterpart = theirs[name] else { return child }
                if let difference = mine[name]!.firstDifference(from: counterpart, at: child) { return difference }
            }
            for name in theirs.keys.sorted() where mine[name] == nil {
                return path.isEmpty ? name : path + "/" + name
            }
            return nil
        case (.array(let mine), .array(let theirs)):
            guard mine.count == theirs.count else { return path }
            for (index, item) in mine.enumerated() {
                let child = path.isEmpty ? String(index) : path + "/" + String(index)
                if let difference = item.firstDifference(from: theirs[index], at: child) { return difference }
            }
            return nil
        default:
            return self == other ? nil : path
        }
    }
}
