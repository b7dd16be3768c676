import Foundation
import ReferralProtocol
import ZeroMQ

/// The reply to an ADMIN-1 request (protocols/ADMIN-1.md), its JSON as received (for tests of the wire and
/// `--json` printing); `AdminConnection.request(_:)` reads it into ReferralProtocol's types.
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
/// [RBA\x01, COMMAND, JSON] → [RBA\x01, OK|ERROR, JSON], written and read by ReferralProtocol's AdminCodec. The
/// socket lives on a thread of its own, so nothing blocks Swift's cooperative pool.
public struct AdminConnection: Sendable {
    public static let signature = AdminCodec.signature

    public let endpoint: String

    public init(endpoint: String) {
        self.endpoint = endpoint
    }

    /// Sends `request` and waits up to `timeout` for the reply, OK or ERROR, returned with its JSON as received.
    /// Throws `AdminFailure` (no answer, or a reply that is not ADMIN-1).
    public func exchange(
        _ request: AdminRequest, timeout: Duration = .seconds(5)
    ) async throws -> (response: AdminResponse, reply: AdminReply) {
        let frames = try await exchange(AdminCodec.encode(request), timeout: timeout)
        switch AdminCodec.decodeResponse(frames, to: request.command) {
        case .success(let response): return (response, AdminReply(ok: frames[1] == Array("OK".utf8), json: frames[2]))
        case .failure(let malformed): throw AdminFailure.malformedReply(endpoint: endpoint, detail: "\(malformed)")
        }
    }

    /// Sends `request` and returns the broker's reply, OK or ERROR. Throws `AdminFailure`.
    public func request(_ request: AdminRequest, timeout: Duration = .seconds(5)) async throws -> AdminResponse {
        try await exchange(request, timeout: timeout).response
    }

    /// Sends `command` with the raw JSON `arguments`, unchecked (for tests of the broker's own checks), and
    /// returns the reply's JSON as received. Throws `AdminFailure`.
    public func request(
        _ command: String, arguments: [UInt8] = Array("{}".utf8), timeout: Duration = .seconds(5)
    ) async throws -> AdminReply {
        let frames = try await exchange([Self.signature, Array(command.utf8), arguments], timeout: timeout)
        guard frames.count == 3, frames[0] == Self.signature,
            frames[1] == Array("OK".utf8) || frames[1] == Array("ERROR".utf8)
        else { throw AdminFailure.malformedReply(endpoint: endpoint, detail: "expected RBA\\x01, OK or ERROR, JSON") }
        return AdminReply(ok: frames[1] == Array("OK".utf8), json: frames[2])
    }

    private func exchange(_ request: [[UInt8]], timeout: Duration) async throws -> [[UInt8]] {
        let endpoint = endpoint
        let (seconds, attoseconds) = timeout.components
        let milliseconds = Int(seconds * 1000 + attoseconds / 1_000_000_000_000_000)
        let result: Result<[[UInt8]], AdminFailure> = await withCheckedContinuation { continuation in
            let thread = Thread {
                continuation.resume(
                    returning: Self.exchange(endpoint: endpoint, request: request, timeoutMilliseconds: milliseconds))
            }
            thread.name = "admin \(String(decoding: request[1], as: UTF8.self))"
            thread.start()
        }
        return try result.get()
    }

    private static func exchange(
        endpoint: String, request: [[UInt8]], timeoutMilliseconds: Int
    ) -> Result<[[UInt8]], AdminFailure> {
        do {
            let context = try ZMQContext()
            defer { context.terminate() }
            let socket = try ZMQSocket(context: context, type: .dealer)
            defer { socket.close() }
            try socket.setLinger(milliseconds: 0)
            try socket.connect(endpoint)
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
                    return .success(message.frames)
                }
            }
        } catch {
            return .failure(.socket(endpoint: endpoint, detail: "\(error)"))
        }
    }

    private static func monotonicMilliseconds() -> Int {
        Int(DispatchTime.now().uptimeNanoseconds / 1_000_000)
    }
}
