import Foundation
import Testing
import ZeroMQ

/// An ADMIN-1 client for assertions (the `referralctl` binary is tested separately in AdminTests): one request
/// on a DEALER socket, on a thread of its own.
enum AdminProbe {
    static let signature: [UInt8] = [0x52, 0x42, 0x41, 0x01]

    struct Reply: Sendable {
        var ok: Bool
        var json: Data

        /// The JSON object of the reply.
        var object: [String: Any] {
            ((try? JSONSerialization.jsonObject(with: json)) as? [String: Any]) ?? [:]
        }
    }

    static func request(endpoint: String, command: String, arguments: String = "{}") async throws -> Reply {
        let result: Result<Reply, HarnessError> = await withCheckedContinuation { continuation in
            let thread = Thread {
                continuation.resume(returning: exchange(endpoint: endpoint, command: command, arguments: arguments))
            }
            thread.start()
        }
        return try result.get()
    }

    private static func exchange(endpoint: String, command: String, arguments: String) -> Result<Reply, HarnessError> {
        do {
            let context = try ZMQContext()
            defer { context.terminate() }
            let socket = try ZMQSocket(context: context, type: .dealer)
            defer { socket.close() }
            try socket.setLinger(milliseconds: 0)
            try socket.connect(endpoint)
            try socket.send([signature, Array(command.utf8), Array(arguments.utf8)], dontWait: false)
            let ready = try zmqPoll([PollItem(socket: socket, events: .readable)], timeoutMilliseconds: 5_000)
            guard ready[0].contains(.readable), let message = try socket.receive() else {
                return .failure(HarnessError("no answer from the admin endpoint \(endpoint) within 5 s"))
            }
            let frames = message.frames
            guard frames.count == 3, frames[0] == signature else {
                return .failure(HarnessError("the admin endpoint answered \(frames.count) frames, not ADMIN-1"))
            }
            return .success(Reply(ok: frames[1] == Array("OK".utf8), json: Data(frames[2])))
        } catch {
            return .failure(HarnessError("admin request failed: \(error)"))
        }
    }
}

extension Harness {
    /// ADMIN-1 STATUS.
    func status() async throws -> [String: Any] {
        let reply = try await AdminProbe.request(endpoint: daemon.admin, command: "STATUS")
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
        let reply = try await AdminProbe.request(endpoint: daemon.admin, command: "TRAIL", arguments: arguments)
        guard reply.ok else { return [] }
        return reply.object["events"] as? [[String: Any]] ?? []
    }

    /// ADMIN-1 AUDIT-EXPORT: the audit records from time `since` on, oldest first.
    func auditRecords(since: Int64 = 0) async throws -> [[String: Any]] {
        let reply = try await AdminProbe.request(
            endpoint: daemon.admin, command: "AUDIT-EXPORT", arguments: "{\"since\":\(since),\"limit\":100000}")
        try require(reply.ok, "AUDIT-EXPORT answered ERROR: \(String(decoding: reply.json, as: UTF8.self))")
        return reply.object["records"] as? [[String: Any]] ?? []
    }

    /// ADMIN-1 RELOAD: the broker reads its directory file again.
    func reload() async throws -> AdminProbe.Reply {
        try await AdminProbe.request(endpoint: daemon.admin, command: "RELOAD")
    }
}
