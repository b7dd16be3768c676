import Foundation
import ReferralClient
import Testing

extension AdminReply {
    /// The JSON object of the reply.
    var object: [String: Any] {
        ((try? JSONSerialization.jsonObject(with: Data(json))) as? [String: Any]) ?? [:]
    }
}

extension Harness {
    /// One ADMIN-1 request to the daemon's admin endpoint (the `referralctl` binary is tested separately in
    /// AdminTests).
    func admin(_ command: String, arguments: String = "{}") async throws -> AdminReply {
        try await AdminConnection(endpoint: daemon.admin).request(command, arguments: Array(arguments.utf8))
    }

    /// ADMIN-1 STATUS.
    func status() async throws -> [String: Any] {
        let reply = try await admin("STATUS")
        try require(reply.ok, "STATUS answered ERROR: \(String(decoding: reply.json, as: UTF8.self))")
        return reply.object
    }

    /// One node's entry of STATUS.
    func nodeStatus(_ id: String) async throws -> [String: Any] {
        let nodes = try await status()["nodes"] as? [[String: Any]] ?? []
        return try unwrap(nodes.first { $0["node"] as? String == id }, "STATUS lists no node \(id)")
    }

    /// ADMIN-1 TRAIL for one message (empty when the broker does not know it).
    func trail(sender: String, id: String) async throws -> [[String: Any]] {
        let arguments = "{\"message\":{\"sender\":\"\(sender)\",\"id\":\"\(id)\"}}"
        let reply = try await admin("TRAIL", arguments: arguments)
        guard reply.ok else { return [] }
        return reply.object["events"] as? [[String: Any]] ?? []
    }

    /// ADMIN-1 AUDIT-EXPORT: the audit records from time `since` on, oldest first.
    func auditRecords(since: Int64 = 0) async throws -> [[String: Any]] {
        let reply = try await admin("AUDIT-EXPORT", arguments: "{\"since\":\(since),\"limit\":100000}")
        try require(reply.ok, "AUDIT-EXPORT answered ERROR: \(String(decoding: reply.json, as: UTF8.self))")
        return reply.object["records"] as? [[String: Any]] ?? []
    }

    /// ADMIN-1 RELOAD: the broker reads its directory file again.
    func reload() async throws -> AdminReply {
        try await admin("RELOAD")
    }
}
