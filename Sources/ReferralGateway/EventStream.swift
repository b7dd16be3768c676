import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import ReferralClient
import ReferralProtocol
import Synchronization

/// `GET /v1/nodes/{node}/events`: the node's event log (status changes and receipts of the messages it sent) as
/// server-sent events (text/event-stream), for dashboards. Each event is `id:` its log number, `event:` its type,
/// `data:` its JSON (never a body); the stream resumes after `Last-Event-ID` (what a browser's EventSource sends
/// when it reconnects) or `?after=`. A comment line every `heartbeat` keeps proxies from closing an idle stream.
/// `?wait=S` closes the stream after S seconds (0: the events there now, then close); without it the stream lasts
/// until the client goes or the gateway stops.
extension GatewayServer {
    /// The longest `wait` of the events stream, in seconds (a day).
    static let maxStreamSeconds = 86_400.0

    func events(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let host = try node(context)
        let after = try EventStream.position(
            query: request.uri.queryParameters["after"].map(String.init),
            lastEventId: request.headers[HTTPField.Name("Last-Event-ID")!])
        var wait: Duration?
        if request.uri.queryParameters["wait"] != nil {
            wait = try Self.seconds(request, "wait", max: Self.maxStreamSeconds)
        }
        var headers = HTTPFields()
        headers[.contentType] = "text/event-stream; charset=utf-8"
        headers[.cacheControl] = "no-store"
        let stream = EventStream(node: host.node, after: after, wait: wait, stopping: stopping)
        return Response(
            status: .ok, headers: headers, body: ResponseBody { writer in try await stream.write(to: &writer) })
    }

    /// A `wait` parameter with its own bound (see `seconds(_:_:)`).
    static func seconds(_ request: Request, _ name: String, max: Double) throws(Problem) -> Duration {
        guard let text = request.uri.queryParameters[Substring(name)] else { return .zero }
        guard let value = Double(text), value.isFinite, (0...max).contains(value) else {
            throw .badParameter(name, "\(name) must be a number of seconds from 0 to \(Int(max))")
        }
        return .milliseconds(Int64(value * 1000))
    }
}

/// One client's events stream. The waits are the node library's (async, no thread blocked), raced against the
/// gateway's stop so that a stream never holds the gateway's shutdown up.
struct EventStream: Sendable {
    let node: ReferralNode
    let after: Int64
    /// nil: until the client goes or the gateway stops.
    let wait: Duration?
    let stopping: StopSignal

    static let heartbeat: Duration = .seconds(15)
    static let batch = 100

    /// The position to resume after: `after` when given, else `Last-Event-ID`, else 0 (from the oldest kept).
    static func position(query: String?, lastEventId: String?) throws(Problem) -> Int64 {
        if let query {
            guard let value = Int64(query), value >= 0 else {
                throw .badParameter("after", "after must be an event number (an integer, 0 or more)")
            }
            return value
        }
        guard let header = lastEventId?.trimmingCharacters(in: .whitespaces), !header.isEmpty else { return 0 }
        guard let value = Int64(header), value >= 0 else {
            throw .badParameter("Last-Event-ID", "Last-Event-ID must be an event number (an integer, 0 or more)")
        }
        return value
    }

    /// The text of one event: `id:`, `event:`, one `data:` line (JSON has no raw newline), a blank line.
    static func frame(_ event: NodeEvent) -> String {
        let data = String(decoding: JSONWriter.encode(Answers.eventValue(event)), as: UTF8.self)
        return "id: \(event.number)\nevent: \(event.kind.rawValue)\ndata: \(data)\n\n"
    }

    func write(to writer: inout any ResponseBodyWriter) async throws {
        // A first line at once, so the client sees the stream open before the first event.
        try await writer.write(ByteBuffer(string: ": referral-gateway events\nretry: 2000\n\n"))
        var position = after
        let deadline = wait.map { ContinuousClock.now + $0 }
        while !stopping.isStopped {
            var timeout = Self.heartbeat
            if let deadline {
                let remaining = deadline - ContinuousClock.now
                timeout = remaining < timeout ? max(remaining, .zero) : timeout
            }
            let events: [NodeEvent]
            do {
                guard let read = try await read(after: position, timeout: timeout) else { break }
                events = read
            } catch let error as ReferralClientError {
                if case .shutDown = error { break }
                throw error
            }
            if events.isEmpty {
                if let deadline, ContinuousClock.now >= deadline { break }
                try await writer.write(ByteBuffer(string: ": heartbeat\n\n"))
                continue
            }
            try await writer.write(ByteBuffer(string: events.map(Self.frame).joined()))
            position = events.last!.number
        }
        try await writer.finish(nil)
    }

    /// The next events after `position`, waiting up to `timeout`; nil once the gateway is stopping.
    private func read(after position: Int64, timeout: Duration) async throws -> [NodeEvent]? {
        let (node, stopping) = (node, stopping)
        return try await withThrowingTaskGroup(of: [NodeEvent]?.self) { group in
            group.addTask { try await node.nextEvents(after: position, limit: Self.batch, timeout: timeout) }
            group.addTask {
                await stopping.wait()
                return nil
            }
            defer { group.cancelAll() }
            return try await group.next() ?? nil
        }
    }
}

/// Set once when the gateway begins to stop: open event streams end (a stream would otherwise keep its
/// connection, and the server's graceful shutdown waiting for it, open forever).
public final class StopSignal: Sendable {
    private struct State {
        var stopped = false
        var waiting: [Int: CheckedContinuation<Void, Never>] = [:]
        var nextKey = 0
    }

    private let state = Mutex(State())

    public init() {}

    public var isStopped: Bool { state.withLock { $0.stopped } }

    public func stop() {
        let waiting = state.withLock { state in
            state.stopped = true
            defer { state.waiting = [:] }
            return Array(state.waiting.values)
        }
        for continuation in waiting { continuation.resume() }
    }

    /// Returns once stopped, or when the task is cancelled.
    func wait() async {
        let key = state.withLock { state in
            state.nextKey += 1
            return state.nextKey
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { state in
                    if state.stopped || Task.isCancelled { return true }
                    state.waiting[key] = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let continuation = state.withLock { $0.waiting.removeValue(forKey: key) }
            continuation?.resume()
        }
    }
}
