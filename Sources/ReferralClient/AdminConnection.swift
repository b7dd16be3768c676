import Foundation
import ZeroMQ

/// The reply to an ADMIN-1 request (protocols/ADMIN-1.md).
public struct AdminReply: Sendable {
    /// true for OK, false for ERROR.
    public var ok: Bool
    /// Frame 3 (the JSON body) as received.
    public var json: [UInt8]

    public init(ok: Bool, json: [UInt8]) {
        self.ok = ok
        self.json = json
    }
}

/// Why an ADMIN-1 request got no reply.
public enum AdminFailure: Error, CustomStringConvertible, Sendable {
    case noAnswer(endpoint: String)
    case socket(endpoint: String, detail: String)
    case malformedReply(endpoint: String, detail: String)

    public var description: String {
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

/// The operators' admin endpoint of a broker (protocols/ADMIN-1.md): one request per call on a fresh DEALER,
/// [RBA\x01, COMMAND, JSON] → [RBA\x01, OK|ERROR, JSON]. The socket lives on a thread of its own, so nothing
/// blocks Swift's cooperative pool.
public struct AdminConnection: Sendable {
    public static let signature: [UInt8] = [0x52, 0x42, 0x41, 0x01]

    public let endpoint: String

    public init(endpoint: String) {
        self.endpoint = endpoint
    }

    /// Sends `command` with the JSON body `arguments` and waits up to `timeout` for the reply, OK or ERROR.
    /// Throws `AdminFailure`.
    public func request(
        _ command: String, arguments: [UInt8] = Array("{}".utf8), timeout: Duration = .seconds(5)
    ) async throws -> AdminReply {
        let endpoint = endpoint
        let (seconds, attoseconds) = timeout.components
        let milliseconds = Int(seconds * 1000 + attoseconds / 1_000_000_000_000_000)
        let result: Result<AdminReply, AdminFailure> = await withCheckedContinuation { continuation in
            let thread = Thread {
                continuation.resume(
                    returning: Self.exchange(
                        endpoint: endpoint, command: command, arguments: arguments, timeoutMilliseconds: milliseconds))
            }
            thread.name = "admin \(command)"
            thread.start()
        }
        return try result.get()
    }

    private static func exchange(
        endpoint: String, command: String, arguments: [UInt8], timeoutMilliseconds: Int
    ) -> Result<AdminReply, AdminFailure> {
        do {
            let context = try ZMQContext()
            defer { context.terminate() }
            let socket = try ZMQSocket(context: context, type: .dealer)
            defer { socket.close() }
            try socket.setLinger(milliseconds: 0)
            try socket.connect(endpoint)
            let request = [signature, Array(command.utf8), arguments]
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
        return .success(AdminReply(ok: status == "OK", json: frames[2]))
    }

    private static func monotonicMilliseconds() -> Int {
        Int(DispatchTime.now().uptimeNanoseconds / 1_000_000)
    }
}
