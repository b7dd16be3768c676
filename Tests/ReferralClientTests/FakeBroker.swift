import Foundation
import ReferralProtocol
import Synchronization
import ZeroMQ

@testable import ReferralClient

/// A scripted stand-in for referrald: one ROUTER on loopback, on its own thread, answering each command the node
/// sends with what `behavior` returns. Enough to drive the client's connection thread without the daemon.
/// Note: ReferralClientTests imports ZeroMQ and ReferralProtocol through ReferralClient's dependencies.
///
/// With `curve`, the ROUTER is a CURVE server (ZAP domain "referral", enforced: fail closed) and the same thread
/// answers ZAP requests (RFC 27) on inproc://zeromq.zap.01 of its context: 200 with the node id for a key in
/// `users`, 400 otherwise.
final class FakeBroker: Sendable {
    typealias Behavior = @Sendable (Command) -> [Command]

    /// The broker's secret key and the node ids of the client keys it admits.
    struct CurveServer: Sendable {
        var secretKey: CurveKey
        var users: [CurveKey: String]
    }

    let endpoint: String
    private let notifier: EventNotifier
    private let state = State()

    /// Shared between the test and the broker thread.
    private final class State: Sendable {
        let outbox = Mutex<[Command]>([])
        let log = Mutex<[Command]>([])
        let stopped = Mutex(false)
        let bound = Mutex<Result<String, any Error>?>(nil)
        /// The ZAP User-Id of each command received (nil without CURVE).
        let userIds = Mutex<[String?]>([])
        /// The public keys the ZAP handler was asked about (Z85), admitted or not.
        let zapKeys = Mutex<[String]>([])
        let ready = DispatchSemaphore(value: 0)
        let finished = DispatchSemaphore(value: 0)
    }

    /// Binds `endpoint` (a free port by default) and starts answering.
    /// `pingEveryMs`: PING the node after this much of the broker's own silence (nil: never).
    init(
        endpoint: String = "tcp://127.0.0.1:*", pingEveryMs: Int? = 100, curve: CurveServer? = nil,
        behavior: @escaping Behavior = FakeBroker.standard
    ) throws {
        let notifier = try EventNotifier()
        self.notifier = notifier
        let state = state
        let thread = Thread {
            defer { state.finished.signal() }
            let context: ZMQContext
            let router: ZMQSocket
            var zap: ZMQSocket?
            do {
                context = try ZMQContext()
                if curve != nil {
                    // The ZAP handler must be bound before the CURVE server takes connections.
                    let rep = try ZMQSocket(context: context, type: .rep)
                    try rep.setLinger(milliseconds: 0)
                    try rep.bind("inproc://zeromq.zap.01")
                    zap = rep
                }
                router = try ZMQSocket(context: context, type: .router)
                try router.setLinger(milliseconds: 0)
                if let curve {
                    try router.setCurveServer(secretKey: curve.secretKey)
                    try router.setZAPDomain("referral", enforce: true)
                    try router.setHandshakeInterval(milliseconds: 1000)
                }
                try router.bind(endpoint)
                let actual = try router.lastEndpoint
                state.bound.withLock { $0 = .success(actual) }
                state.ready.signal()
            } catch {
                state.bound.withLock { $0 = .failure(error) }
                state.ready.signal()
                return
            }
            var peer: [UInt8]?
            var lastSent = Date()
            while !state.stopped.withLock({ $0 }) {
                var items = [
                    PollItem(socket: router, events: .readable),
                    PollItem(fileDescriptor: notifier.fileDescriptor, events: .readable),
                ]
                if let zap { items.append(PollItem(socket: zap, events: .readable)) }
                guard let events = try? zmqPoll(items, timeoutMilliseconds: 20) else { break }
                if events[1].contains(.readable) { notifier.drain() }
                if let zap, let curve, events.count > 2, events[2].contains(.readable),
                    let request = try? zap.receive()
                {
                    _ = try? zap.send(Self.zapReply(request.frames, users: curve.users, state: state))
                }
                while let message = try? router.receive(), message.frames.count > 1 {
                    let routing = message.frames[0]
                    peer = routing
                    guard
                        case .success(let command) = Codec.decode(
                            Array(message.frames.dropFirst()), direction: .nodeToBroker)
                    else { continue }
                    state.log.withLock { $0.append(command) }
                    state.userIds.withLock { $0.append(message.userId) }
                    for reply in behavior(command) {
                        _ = try? router.send([routing] + Codec.encode(reply))
                        lastSent = Date()
                    }
                }
                let queued = state.outbox.withLock { queued in
                    defer { queued.removeAll() }
                    return queued
                }
                if let peer {
                    for command in queued { _ = try? router.send([peer] + Codec.encode(command)) }
                    if !queued.isEmpty { lastSent = Date() }
                    // Heartbeat like the real broker: PING after 100 ms of its own silence.
                    if let pingEveryMs, Date().timeIntervalSince(lastSent) * 1000 >= Double(pingEveryMs) {
                        _ = try? router.send([peer] + Codec.encode(.ping))
                        lastSent = Date()
                    }
                }
            }
            router.close()
            zap?.close()
            context.terminate()
        }
        thread.start()
        state.ready.wait()
        self.endpoint = try state.bound.withLock { $0! }.get()
    }

    /// Sends `command` to the node that spoke last.
    func push(_ command: Command) {
        state.outbox.withLock { $0.append(command) }
        notifier.notify()
    }

    /// Every command received so far, in order.
    var received: [Command] { state.log.withLock { $0 } }

    /// The ZAP User-Id each command of `received` came with (nil without CURVE).
    var userIds: [String?] { state.userIds.withLock { $0 } }

    /// The client public keys (Z85) the ZAP handler was asked about, in order.
    var zapKeys: [String] { state.zapKeys.withLock { $0 } }

    /// A ZAP reply (RFC 27): version, request id, status, text, user id, metadata.
    private static func zapReply(_ frames: [[UInt8]], users: [CurveKey: String], state: State) -> [[UInt8]] {
        // version, request id, domain, address, routing id, mechanism, credentials...
        let key = frames.count >= 7 && frames[5] == Array("CURVE".utf8) ? CurveKey(bytes: frames[6]) : nil
        if let key { state.zapKeys.withLock { $0.append(key.z85) } }
        let requestId = frames.count > 1 ? frames[1] : []
        let version = Array("1.0".utf8)
        if frames.count > 2, frames[2] == Array("referral".utf8), let user = key.flatMap({ users[$0] }) {
            return [version, requestId, Array("200".utf8), Array("OK".utf8), Array(user.utf8), []]
        }
        return [version, requestId, Array("400".utf8), Array("No access".utf8), [], []]
    }

    /// The ids of the SENDs received so far, in order (resends included).
    var sendIds: [String] {
        received.compactMap { if case .send(let send) = $0 { send.id } else { nil } }
    }

    var helloCount: Int { received.filter { if case .hello = $0 { true } else { false } }.count }

    /// Closes the ROUTER, as if the broker died.
    func stop() {
        let already = state.stopped.withLock { stopped in
            defer { stopped = true }
            return stopped
        }
        if already { return }
        notifier.notify()
        state.finished.wait()
    }

    static func welcome(_ node: String, heartbeatMs: Int = 1000, ackTimeoutMs: Int = 2000) -> Command {
        .welcome(
            Welcome(
                node: node, session: "s-\(UUID().uuidString.prefix(8))", heartbeatMs: heartbeatMs, liveness: 3,
                window: 64, ackTimeoutMs: ackTimeoutMs, maxHeader: 16384, maxBody: 1_048_576, maxRecipients: 64,
                pending: 0, receipts: 0))
    }

    /// Welcomes every HELLO, accepts every SEND (seq from a counter), answers PING.
    static func standard(_ command: Command) -> [Command] {
        switch command {
        case .hello(let hello): [welcome(hello.node)]
        case .send(let send): [.accepted(Accepted(id: send.id, seq: seq(for: send.id), duplicate: false))]
        case .ping: [.pong]
        default: []
        }
    }

    /// A stable seq per message id, so a resend gets the same number.
    static func seq(for id: String) -> Int64 {
        Int64(id.utf8.reduce(0) { ($0 &* 31 &+ Int($1)) & 0xFFFF_FFFF }) + 1
    }
}

/// Polls `condition` every 10 ms for up to `seconds`.
func eventually(_ seconds: Double = 5, _ condition: () throws -> Bool) async throws -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if try condition() { return true }
        try await Task.sleep(for: .milliseconds(10))
    }
    return try condition()
}

/// A node configuration for `broker` with fast reconnects and heartbeats.
func fastConfiguration(in directory: TemporaryDirectory, broker: String, node: String = "test-a") -> NodeConfiguration {
    NodeConfiguration(
        node: node, broker: broker, store: directory.file("\(node).sqlite"), reconnectInitialMs: 50,
        reconnectMaxMs: 200, welcomeTimeoutMs: 1000)
}
