import Foundation
import ReferralProtocol

/// What an application may do on a node it may act for (GATEWAY-1 "Security").
public enum GatewayScope: String, Sendable, Hashable, CaseIterable, Comparable {
    /// POST a node's messages, and read their status (`GET .../messages/{id}`).
    case send
    /// Take a node's inbox (the long poll) and complete its messages.
    case receive
    /// The read-only views of a node: message status, events, cases, overdue.
    case read

    public static func < (lhs: GatewayScope, rhs: GatewayScope) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}

/// One entry of the applications file: an agency system with its own bearer token, kept only as its SHA-256.
public struct GatewayApplication: Sendable, Hashable {
    /// Names the application in logs and in 403 answers (never the token).
    public var name: String
    /// SHA-256 of the token's octets. Tokens are random (`referral-gateway new-token`: 256 bits), so a plain hash
    /// is enough: nothing to guess, no password to stretch.
    public var tokenDigest: [UInt8]
    /// The hosted node ids it may act for; nil: every node (`"*"`).
    public var nodes: Set<String>?
    public var scopes: Set<GatewayScope>
    /// Its own request rate; nil: the gateway's `rate_limit`.
    public var rateLimit: RateLimit?

    public init(
        name: String, tokenDigest: [UInt8], nodes: Set<String>?, scopes: Set<GatewayScope>,
        rateLimit: RateLimit? = nil
    ) {
        self.name = name
        self.tokenDigest = tokenDigest
        self.nodes = nodes
        self.scopes = scopes
        self.rateLimit = rateLimit
    }

    public func mayActFor(_ node: String) -> Bool { nodes?.contains(node) ?? true }
}

/// The applications file (`applications_file`), read at start and on SIGHUP:
///
/// ```json
/// { "applications": [
///     { "name": "school-sis", "token_sha256": "<64 hex digits>", "nodes": ["gl-school-1"],
///       "scopes": ["send", "read"], "rate_limit": { "requests_per_second": 50, "burst": 100 } } ] }
/// ```
///
/// It holds no secret (only hashes), but whoever can write it can let a token in: refused when others may write it.
public struct GatewayApplications: Sendable, Hashable {
    public var applications: [GatewayApplication]

    public init(_ applications: [GatewayApplication]) {
        self.applications = applications
    }

    enum Key: String {
        case applications, name, nodes, scopes
        case tokenSHA256 = "token_sha256"
        case rateLimit = "rate_limit"
    }

    /// The SHA-256 the file keeps of a token.
    public static func digest(ofToken token: some StringProtocol) -> [UInt8] { SHA256.hash(Array(token.utf8)) }

    /// The application whose token is `token`. Every digest is compared, each in constant time, so the answer's
    /// timing says nothing about how close a wrong token came.
    public func application(forToken token: some StringProtocol) -> GatewayApplication? {
        let digest = Self.digest(ofToken: token)
        var found: GatewayApplication?
        for application in applications {
            var difference: UInt8 = 0
            for index in 0..<32 { difference |= application.tokenDigest[index] ^ digest[index] }
            if difference == 0 { found = application }
        }
        return found
    }

    /// The token of an `Authorization: Bearer TOKEN` header (the scheme's case is free, RFC 7235); nil otherwise.
    public static func bearerToken(_ header: String?) -> Substring? {
        guard let header, header.count > 7, header.prefix(7).lowercased() == "bearer " else { return nil }
        let token = header.dropFirst(7).trimmingCharacters(in: .whitespaces)
        return token.isEmpty ? nil : Substring(token)
    }

    /// Reads the file; every error names the file, `applications_file`, the entry (`applications[2]`) and the key.
    public static func load(path: String, hostedNodes: Set<String>) throws(ConfigurationError) -> GatewayApplications {
        func fail(_ problem: String) -> ConfigurationError {
            ConfigurationError(file: path, setting: "applications_file", reason: problem)
        }
        var info = stat()
        guard stat(path, &info) == 0 else { throw fail("cannot be opened (\(String(cString: strerror(errno))))") }
        guard info.st_mode & S_IFMT == S_IFREG else { throw fail("is not a regular file") }
        let mode = Int(info.st_mode) & 0o777
        guard mode & 0o002 == 0 else {
            throw fail("can be written by others (mode \(String(mode, radix: 8))): chmod 644 \(path) or stricter")
        }
        guard let data = FileManager.default.contents(atPath: path) else { throw fail("cannot be read") }
        do {
            return try parse(Array(data), file: path, hostedNodes: hostedNodes)
        } catch {
            throw error.found(in: path, namedBy: "applications_file")
        }
    }

    static func parse(_ bytes: [UInt8], file: String, hostedNodes: Set<String>) throws(ConfigurationError)
        -> GatewayApplications
    {
        var reader = try JSONObjectReader(try JSONFile.parse(bytes, file: file), file: file)
        let items = try reader.array(Key.applications.rawValue)
        try reader.refuseUnknownKeys()
        guard !items.isEmpty else {
            throw reader.error(
                Key.applications.rawValue,
                "must name at least one application (make one with `referral-gateway new-token`)")
        }
        var applications: [GatewayApplication] = []
        for (index, item) in items.enumerated() {
            var entry = try JSONObjectReader(item, file: file, entry: "applications[\(index)]")
            let application = try parseApplication(&entry, hostedNodes: hostedNodes)
            if let other = applications.firstIndex(where: { $0.name == application.name }) {
                throw entry.error(Key.name.rawValue, "'\(application.name)' is also applications[\(other)]'s name")
            }
            if let other = applications.firstIndex(where: { $0.tokenDigest == application.tokenDigest }) {
                throw entry.error(
                    Key.tokenSHA256.rawValue, "is also applications[\(other)]'s: each application needs its own token")
            }
            applications.append(application)
        }
        return GatewayApplications(applications)
    }

    static func parseApplication(_ entry: inout JSONObjectReader, hostedNodes: Set<String>) throws(ConfigurationError)
        -> GatewayApplication
    {
        let name = try entry.string(Key.name.rawValue)
        guard Self.isValidName(name) else {
            throw entry.error(Key.name.rawValue, "must be 1-64 of A-Z a-z 0-9 . _ -, got '\(name)'")
        }
        let hex = try entry.string(Key.tokenSHA256.rawValue)
        guard let digest = Self.digest(hex: hex) else {
            throw entry.error(
                Key.tokenSHA256.rawValue,
                "must be the SHA-256 of the token as 64 hexadecimal digits (`referral-gateway new-token` prints it)")
        }
        let nodes = try parseNodes(&entry, hostedNodes: hostedNodes)
        guard let scopeNames = try entry.optionalStrings(Key.scopes.rawValue) else {
            throw entry.error(Key.scopes.rawValue, "is required (any of \(Self.scopeList))")
        }
        guard !scopeNames.isEmpty else {
            throw entry.error(Key.scopes.rawValue, "must name at least one of \(Self.scopeList)")
        }
        var scopes: Set<GatewayScope> = []
        for (index, scopeName) in scopeNames.enumerated() {
            guard let scope = GatewayScope(rawValue: scopeName) else {
                throw entry.error(
                    "\(Key.scopes.rawValue)[\(index)]", "must be one of \(Self.scopeList), got '\(scopeName)'")
            }
            scopes.insert(scope)
        }
        var rateLimit: RateLimit?
        if var block = try entry.optionalReader(Key.rateLimit.rawValue) { rateLimit = try RateLimit.parse(&block) }
        try entry.refuseUnknownKeys()
        return GatewayApplication(name: name, tokenDigest: digest, nodes: nodes, scopes: scopes, rateLimit: rateLimit)
    }

    /// `"*"` (nil: every node) or a list of hosted node ids.
    static func parseNodes(_ entry: inout JSONObjectReader, hostedNodes: Set<String>) throws(ConfigurationError)
        -> Set<String>?
    {
        let key = Key.nodes.rawValue
        let why = "must be \"*\" (every hosted node) or a list of hosted node ids"
        guard let value = entry.value(key) else { throw entry.error(key, "is required: \(why)") }
        switch value {
        case .string("*"): return nil
        case .array(let items) where !items.isEmpty:
            var nodes: Set<String> = []
            for (index, item) in items.enumerated() {
                guard case .string(let id) = item else {
                    throw entry.error("\(key)[\(index)]", "must be a node id, not \(item.typeName)")
                }
                guard hostedNodes.contains(id) else {
                    throw entry.error(
                        "\(key)[\(index)]",
                        "'\(id)' is not a node of this gateway (hosted: \(hostedNodes.sorted().joined(separator: ", ")))"
                    )
                }
                nodes.insert(id)
            }
            return nodes
        default: throw entry.error(key, why)
        }
    }

    static let scopeList = GatewayScope.allCases.map(\.rawValue).joined(separator: ", ")

    static func isValidName(_ name: String) -> Bool {
        (1...64).contains(name.utf8.count)
            && name.utf8.allSatisfy { byte in
                (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                    || byte == 0x2E || byte == 0x5F || byte == 0x2D
            }
    }

    /// 64 hexadecimal digits (either case) as 32 octets; nil otherwise.
    static func digest(hex: String) -> [UInt8]? {
        let digits = Array(hex.utf8)
        guard digits.count == 64 else { return nil }
        func value(_ digit: UInt8) -> UInt8? {
            switch digit {
            case 0x30...0x39: digit - 0x30
            case 0x61...0x66: digit - 0x61 + 10
            case 0x41...0x46: digit - 0x41 + 10
            default: nil
            }
        }
        var octets: [UInt8] = []
        octets.reserveCapacity(32)
        for index in stride(from: 0, to: 64, by: 2) {
            guard let high = value(digits[index]), let low = value(digits[index + 1]) else { return nil }
            octets.append(high << 4 | low)
        }
        return octets
    }
}

extension GatewayConfiguration {
    /// The applications of `applications_file`, checked against the hosted nodes; nil without the file (then, on
    /// loopback only, every request is let in).
    public func readApplications() throws(ConfigurationError) -> GatewayApplications? {
        guard !applicationsFile.isEmpty else { return nil }
        return try GatewayApplications.load(path: applicationsFile, hostedNodes: Set(nodes.map(\.id)))
    }
}
