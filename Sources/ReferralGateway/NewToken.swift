import ReferralProtocol

/// A new application token and the applications-file entry that lets it in (`referral-gateway new-token`).
public struct NewApplicationToken: Sendable {
    /// `rgw_` and 256 random bits in base64url (no padding): given to the application once, never stored.
    public var token: String
    /// The entry for `applications`: the token only as its SHA-256.
    public var entry: [UInt8]

    /// Draws the token from `generator` (the system's cryptographic one in the command; a seeded one in tests).
    public static func make(
        name: String, nodes: [String], scopes: [GatewayScope], using generator: inout some RandomNumberGenerator
    ) -> NewApplicationToken {
        var octets: [UInt8] = []
        for _ in 0..<4 { withUnsafeBytes(of: generator.next().littleEndian) { octets += $0 } }
        let token = "rgw_" + base64URL(octets)
        let nodeValue: JSONValue = nodes == ["*"] ? .string("*") : .array(nodes.map { .string($0) })
        let entry = JSONValue.object([
            ("name", .string(name)),
            ("token_sha256", .string(SHA256.hex(GatewayApplications.digest(ofToken: token)))),
            ("nodes", nodeValue),
            ("scopes", .array(scopes.sorted().map { .string($0.rawValue) })),
        ])
        return NewApplicationToken(token: token, entry: JSONWriter.encode(entry))
    }

    /// The arguments' faults, in words (nil: fine): a valid name, nodes (or `*` alone), at least one scope.
    public static func check(name: String, nodes: [String], scopes: [String]) -> String? {
        guard GatewayApplications.isValidName(name) else { return "--name must be 1-64 of A-Z a-z 0-9 . _ -" }
        guard !nodes.isEmpty else { return "--node is required (a hosted node id, or * for every node)" }
        if nodes.contains("*"), nodes.count > 1 { return "--node * stands alone (every node)" }
        if let bad = nodes.first(where: { $0 != "*" && !Identifiers.isValidNodeId($0) }) {
            return "--node '\(bad)' is not a node id (1-64 of a-z 0-9 . _ -)"
        }
        guard !scopes.isEmpty else { return "--scope is required (\(GatewayApplications.scopeList))" }
        if let bad = scopes.first(where: { GatewayScope(rawValue: $0) == nil }) {
            return "--scope '\(bad)' is not one of \(GatewayApplications.scopeList)"
        }
        return nil
    }

    static func base64URL(_ octets: [UInt8]) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)
        var out: [UInt8] = []
        var index = 0
        while index < octets.count {
            let chunk = octets[index..<min(index + 3, octets.count)]
            var bits = 0
            for octet in chunk { bits = bits << 8 | Int(octet) }
            bits <<= 8 * (3 - chunk.count)
            for position in 0...chunk.count { out.append(alphabet[(bits >> (18 - 6 * position)) & 0x3F]) }
            index += 3
        }
        return String(decoding: out, as: UTF8.self)
    }
}
