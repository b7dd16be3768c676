import Foundation
import ReferralClient

/// The figures of one admin STATUS reply (protocols/ADMIN-1.md) the bench uses.
struct BrokerStatus: Sendable {
    struct Node: Sendable {
        var node: String
        var connected: Bool
        var pending: Int
        var inFlight: Int
        var deadLetters: Int
        var receiptsPending: Int
    }

    /// Committed store transactions since the broker started (one WAL fsync each).
    var storeTransactions: Int
    /// Rows inserted or updated by those transactions.
    var storeRowsWritten: Int
    var nodes: [Node]

    /// Nothing pending, in flight or waiting for a receipt confirmation.
    var isQuiet: Bool {
        nodes.allSatisfy { $0.pending == 0 && $0.inFlight == 0 && $0.receiptsPending == 0 }
    }

    /// One admin STATUS request (protocols/ADMIN-1.md) to `endpoint`.
    static func fetch(endpoint: String) async throws -> BrokerStatus {
        let reply: AdminReply
        do {
            reply = try await AdminConnection(endpoint: endpoint).request("STATUS")
        } catch {
            throw BenchError("admin STATUS to \(endpoint): \(error)")
        }
        guard reply.ok else {
            throw BenchError("admin STATUS to \(endpoint): ERROR \(String(decoding: reply.json, as: UTF8.self))")
        }
        guard let object = try JSONSerialization.jsonObject(with: Data(reply.json)) as? [String: Any],
            let broker = object["broker"] as? [String: Any]
        else { throw BenchError("admin STATUS to \(endpoint): the reply is not the expected JSON object") }
        guard let transactions = broker["store_transactions"] as? Int,
            let rows = broker["store_rows_written"] as? Int
        else {
            throw BenchError(
                "admin STATUS to \(endpoint): broker.store_transactions / store_rows_written missing (older referrald?)"
            )
        }
        let nodes: [BrokerStatus.Node] = (object["nodes"] as? [[String: Any]] ?? []).map { node in
            BrokerStatus.Node(
                node: node["node"] as? String ?? "", connected: node["connected"] as? Bool ?? false,
                pending: node["pending"] as? Int ?? 0, inFlight: node["in_flight"] as? Int ?? 0,
                deadLetters: node["dead_letters"] as? Int ?? 0, receiptsPending: node["receipts_pending"] as? Int ?? 0)
        }
        return BrokerStatus(storeTransactions: transactions, storeRowsWritten: rows, nodes: nodes)
    }
}
