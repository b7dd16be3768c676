import Foundation
import ReferralProtocol

/// A gateway's applications file written by a test: each made-up token kept as its SHA-256, as
/// `referral-gateway new-token` prints the entry.
struct GatewayApplication: Sendable {
    var name: String
    var token: String
    /// nil: every node (`"*"`).
    var nodes: [String]? = nil
    var scopes: [String] = ["send", "receive", "read"]
    /// Its own `rate_limit` (requests a second, burst); nil: the gateway's.
    var rateLimit: (requestsPerSecond: Double, burst: Int)? = nil

    var entry: [String: Any] {
        var entry: [String: Any] = [
            "name": name, "token_sha256": SHA256.hex(SHA256.hash(Array(token.utf8))),
            "nodes": nodes.map { $0 as Any } ?? "*", "scopes": scopes,
        ]
        if let rateLimit {
            entry["rate_limit"] = ["requests_per_second": rateLimit.requestsPerSecond, "burst": rateLimit.burst]
        }
        return entry
    }

    /// Writes `{"applications": [...]}` to `path` (replacing it whole, as an operator's editor would).
    static func write(_ applications: [GatewayApplication], to path: String) throws {
        let document: [String: Any] = ["applications": applications.map(\.entry)]
        try JSONSerialization.data(withJSONObject: document, options: [.sortedKeys, .prettyPrinted])
            .write(to: URL(fileURLWithPath: path), options: .atomic)
    }
}
