import Foundation
import ReferralProtocol
import ZeroMQ

/// The reply to an ADMIN-1 request.
struct AdminReply: Sendable {
    /// true for OK, false for ERROR.
    var ok: Bool
    /// Frame 3 as received.
    var raw: [UInt8]
    var json: JSONValue
}

enum AdminFailure: Error, CustomStringConvertible {
    case noAnswer(endpoint: String)
    case socket(endpoint: String, detail: String)
    case malformedReply(endpoint: String, detail: String)

    var description: String {
        switch self {
        case .noAnswer(let endpoint):
            "no answer from the broker's admin endpoint \(endpoint): is referrald running?"
        case .socket(let endpoint, let detail):
            "cannot reach the broker's admin endpoint \(endpoint): \(detail)"
        case .malformedReply(let endpoint, let detail):
            "the admin endpoint \(endpoint) answered something that is not ADMIN-1: \(detail)"
        }
    }
}

/// One ADMIN-1 request on a DEALER (protocols/ADMIN-1.md): [RBA\x01, COMMAND, JSON] → [RBA\x01, OK|ERROR, JSON].
/// The socket lives on a thread of its own, so nothing blocks Swift's cooperative pool.
enum AdminClient {
    static let signature: [UInt8] = [0x52, 0x42, 0x41, 0x01]
    static let timeoutMilliseconds = 5000

    static func request(endpoint: String, command: String, arguments: JSONValue) async throws -> AdminReply {
        let result: Result<AdminReply, AdminFailure> = await withCheckedContinuation { continuation in
            let thread = Thread {
                continuation.resume(returning: exchange(endpoint: endpoint, command: command, arguments: arguments))
            }
            thread.name = "referralctl admin"
            thread.start()
        }
        return try result.get()
    }

    private static func exchange(endpoint: String, command: String, arguments: JSONValue) -> Result<
        AdminReply, AdminFailure
    > {
        do {
            let context = try ZMQContext()
            defer { context.terminate() }
            let socket = try ZMQSocket(context: context, type: .dealer)
            defer { socket.close() }
            try socket.setLinger(milliseconds: 0)
            try socket.connect(endpoint)
            let request = [signature, Array(command.utf8), JSONWriter.encode(arguments)]
            let deadline = monotonicMilliseconds() + timeoutMilliseconds
            var sent = false
            while true {
                let remaining = deadline - monotonicMilliseconds()
                guard remaining > 0 else { return .failure(.noAnswer(endpoint: endpoint)) }
                let events: PollEvents = sent ? .readable : [.readable, .writable]
                let ready = try zmqPoll([PollItem(socket: socket, events: events)], timeoutMilliseconds: remaining)
                if !sent, ready[0].contains(.writable) {
                    sent = try socket.send(request)
                }
                if ready[0].contains(.readable), let message = try socket.receive() {
                    return decode(message.frames, endpoint: endpoint)
                }
            }
        } catch {
            return .failure(.socket(endpoint: endpoint, detail: "\(error)"))
        }
    }

    private static func decode(_ frames: [[UInt8]], endpoint: String) -> Result<AdminReply, AdminFailure> {
        guard frames.count == 3, frames[0] == signature else {
            return .failure(.malformedReply(endpoint: endpoint, detail: "expected 3 frames starting with RBA\\x01"))
        }
        let status = String(decoding: frames[1], as: UTF8.self)
        guard status == "OK" || status == "ERROR" else {
            return .failure(.malformedReply(endpoint: endpoint, detail: "frame 2 is neither OK nor ERROR"))
        }
        do throws(JSONError) {
            let json = try JSONReader.parse(frames[2], maxDepth: 32)
            return .success(AdminReply(ok: status == "OK", raw: frames[2], json: json))
        } catch {
            return .failure(.malformedReply(endpoint: endpoint, detail: "frame 3 is not JSON (\(error))"))
        }
    }

    private static func monotonicMilliseconds() -> Int {
        Int(DispatchTime.now().uptimeNanoseconds / 1_000_000)
    }
}
