import ReferralClient
import ReferralProtocol

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

    /// The figures of one node.
    func node(_ id: String) -> Node? { nodes.first { $0.node == id } }

    /// One admin STATUS request (protocols/ADMIN-1.md) to `endpoint`.
    static func fetch(endpoint: String) async throws -> BrokerStatus {
        let response: AdminResponse
        do {
            response = try await AdminConnection(endpoint: endpoint).request(.status)
        } catch {
            throw BenchError("admin STATUS to \(endpoint): \(error)")
        }
        switch response {
        case .ok(.status(let status)):
            return BrokerStatus(
                storeTransactions: status.broker.storeTransactions, storeRowsWritten: status.broker.storeRowsWritten,
                nodes: status.nodes.map {
                    Node(
                        node: $0.node, connected: $0.connected, pending: $0.pending, inFlight: $0.inFlight,
                        deadLetters: $0.deadLetters, receiptsPending: $0.receiptsPending)
                })
        case .ok:
            throw BenchError("admin STATUS to \(endpoint): not a STATUS result")
        case .error(let error):
            throw BenchError("admin STATUS to \(endpoint): ERROR \(error.code): \(error.reason)")
        }
    }
}
