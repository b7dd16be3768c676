import Foundation
// ZeroMQ comes with ReferralClient (the bench target does not list it itself).
import ZeroMQ

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
}

/// ADMIN-1 over a DEALER socket: ["RBA\x01", "STATUS", "{}"] -> ["RBA\x01", "OK", JSON].
enum AdminClient {
    static let signature: [UInt8] = [0x52, 0x42, 0x41, 0x01]

    static func status(endpoint: String) async throws -> BrokerStatus {
        try await onThread("referral-bench admin") { try statusBlocking(endpoint: endpoint) }
    }

    private static func statusBlocking(endpoint: String) throws -> BrokerStatus {
        let context = try ZMQContext()
        defer { context.terminate() }
        let socket = try ZMQSocket(context: context, type: .dealer)
        defer { socket.close() }
        try socket.setLinger(milliseconds: 0)
        try socket.setReceiveTimeout(milliseconds: 5_000)
        try socket.setSendTimeout(milliseconds: 5_000)
        try socket.connect(endpoint)
        guard try socket.send([signature, Array("STATUS".utf8), Array("{}".utf8)], dontWait: false) else {
            throw BenchError("admin STATUS to \(endpoint): cannot send")
        }
        guard let reply = try socket.receive(dontWait: false) else {
            throw BenchError("admin STATUS to \(endpoint): no reply within 5 s")
        }
        let frames = reply.frames
        guard frames.count == 3, frames[0] == signature else {
            throw BenchError("admin STATUS to \(endpoint): malformed reply (\(frames.count) frames)")
        }
        let verdict = String(decoding: frames[1], as: UTF8.self)
        guard verdict == "OK" else {
            throw BenchError("admin STATUS to \(endpoint): \(verdict) \(String(decoding: frames[2], as: UTF8.self))")
        }
        guard let object = try JSONSerialization.jsonObject(with: Data(frames[2])) as? [String: Any],
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
