import Foundation
import ReferralProtocol
import ZeroMQ

/// A node written by hand: one ZeroMQ DEALER socket that the test drives frame by frame (for malformed input,
/// duplicate SENDs, a recipient that does not ACK, spoofing, keys the broker must refuse, ...). `Harness.raw(_:)`
/// opens one with a directory node's CURVE keys.
///
/// Not thread-safe, like the socket it owns: use it from one task. Waits poll in short slices and yield in
/// between, so the cooperative pool is never blocked for long.
final class RawNode {
    let endpoint: String
    private let context: ZMQContext
    private var socket: ZMQSocket?
    /// Answer the broker's PINGs with PONG while waiting (keeps the session alive).
    var answersPings = true
    /// Commands that `expect` passed over, handed out first by `next`.
    private var queued: [Command] = []
    /// What was received and passed over so far (by `idle`, `expect`), not yet taken by `next`.
    var queuedCommands: [Command] { queued }

    /// The CURVE keys a raw node connects with: its own key pair and the broker's public key (which need not be
    /// right: a test may give a wrong one).
    struct Curve {
        var publicKey: CurveKey
        var secretKey: CurveKey
        var serverKey: CurveKey
    }

    /// Connects to `endpoint` as a CURVE client with `curve` (set before connecting, so it applies), or in plain
    /// text when `curve` is nil (which only a development broker accepts).
    init(endpoint: String, curve: Curve?) throws {
        self.endpoint = endpoint
        context = try ZMQContext()
        let socket = try ZMQSocket(context: context, type: .dealer)
        try socket.setLinger(milliseconds: 0)
        if let curve {
            try socket.setCurveClient(
                publicKey: curve.publicKey, secretKey: curve.secretKey, serverKey: curve.serverKey)
        }
        try socket.connect(endpoint)
        self.socket = socket
    }

    deinit {
        close()
    }

    /// Closes the socket (pending outgoing messages are dropped) and the context.
    func close() {
        socket?.close()
        socket = nil
        context.terminate()
    }

    private func open() throws -> ZMQSocket {
        guard let socket else { throw HarnessError("the raw node's socket is closed") }
        return socket
    }

    /// Sends raw frames, waiting up to 5 s for the socket to take them.
    func send(frames: [[UInt8]]) async throws {
        let socket = try open()
        let deadline = ContinuousClock.now + .seconds(5)
        while true {
            if try socket.send(frames, dontWait: true) { return }
            guard ContinuousClock.now < deadline else { throw HarnessError("the raw node cannot send") }
            _ = try zmqPoll([PollItem(socket: socket, events: .writable)], timeoutMilliseconds: 20)
            await Task.yield()
        }
    }

    func send(_ command: Command) async throws {
        try await send(frames: Codec.encode(command))
    }

    /// The next message's frames, or nil when none came within `timeout`.
    func receiveFrames(timeout: Duration) async throws -> [[UInt8]]? {
        let socket = try open()
        let deadline = ContinuousClock.now + timeout
        while true {
            if let message = try socket.receive(dontWait: true) { return message.frames }
            let left = deadline - ContinuousClock.now
            guard left > .zero else { return nil }
            let slice = min(25, max(1, left.wholeMilliseconds))
            _ = try zmqPoll([PollItem(socket: socket, events: .readable)], timeoutMilliseconds: slice)
            await Task.yield()
        }
    }

    /// The next command from the broker other than PING/PONG (PINGs are answered), or nil after `timeout`.
    /// Throws if the broker sent something that does not decode.
    func next(timeout: Duration = .seconds(10)) async throws -> Command? {
        if !queued.isEmpty { return queued.removeFirst() }
        return try await receiveCommand(timeout: timeout)
    }

    private func receiveCommand(timeout: Duration) async throws -> Command? {
        let deadline = ContinuousClock.now + timeout
        while true {
            let left = deadline - ContinuousClock.now
            guard left > .zero, let frames = try await receiveFrames(timeout: left) else { return nil }
            switch Codec.decode(frames, direction: .brokerToNode) {
            case .failure(let failure):
                throw HarnessError("the broker sent something that does not decode: \(failure)")
            case .success(.ping):
                if answersPings { try await send(.pong) }
            case .success(.pong):
                continue
            case .success(let command):
                return command
            }
        }
    }

    /// Reads (and keeps for `next`) whatever arrives during `duration`, answering PINGs: keeps the session alive
    /// while the test waits for something else.
    func idle(for duration: Duration) async throws {
        let deadline = ContinuousClock.now + duration
        while true {
            let left = deadline - ContinuousClock.now
            guard left > .zero, let command = try await receiveCommand(timeout: left) else { return }
            queued.append(command)
        }
    }

    /// Waits for the first command that `match` accepts (looking at the ones passed over before first); the
    /// others are kept, in order, for `next`.
    func expect<T>(_ what: String, timeout: Duration = .seconds(10), _ match: (Command) -> T?) async throws -> T {
        if let index = queued.firstIndex(where: { match($0) != nil }) {
            return match(queued.remove(at: index))!
        }
        let deadline = ContinuousClock.now + timeout
        while true {
            let left = deadline - ContinuousClock.now
            guard left > .zero, let command = try await receiveCommand(timeout: left) else {
                throw HarnessError(
                    "no \(what) from the broker within \(timeout) (passed over: \(queued.map(\.name)))")
            }
            if let value = match(command) { return value }
            queued.append(command)
        }
    }

    /// HELLO as `node`; returns the WELCOME.
    @discardableResult
    func hello(_ node: String, window: Int = 64) async throws -> Welcome {
        try await send(.hello(Hello(node: node, window: window, agent: "integration-test/1")))
        let answer: Command = try await expect("WELCOME for \(node)") { command in
            switch command {
            case .welcome, .error: command
            default: nil
            }
        }
        switch answer {
        case .welcome(let welcome): return welcome
        case .error(let error): throw HarnessError("HELLO as \(node) answered ERROR \(error.code): \(error.reason)")
        default: throw HarnessError("HELLO as \(node) answered \(answer.name)")
        }
    }

    /// HELLO as `node`; returns the WELCOME or ERROR, or nil when nothing came within `timeout` (a refused
    /// handshake: the broker never sees the HELLO).
    func tryHello(_ node: String, timeout: Duration) async throws -> Command? {
        try await send(.hello(Hello(node: node, window: 64, agent: "integration-test/1")))
        let deadline = ContinuousClock.now + timeout
        while true {
            let left = deadline - ContinuousClock.now
            guard left > .zero, let command = try await next(timeout: left) else { return nil }
            switch command {
            case .welcome, .error: return command
            default: continue
            }
        }
    }

    /// What arrives within `duration`, raw (PINGs included, nothing answered); nil when nothing does.
    func anything(within duration: Duration) async throws -> [[UInt8]]? {
        if let command = queued.first { return Codec.encode(command) }
        return try await receiveFrames(timeout: duration)
    }

    /// Sends a SEND and waits for its ACCEPTED or REJECTED.
    func send(_ message: Send, timeout: Duration = .seconds(10)) async throws -> Command {
        try await send(.send(message))
        return try await expect("answer to SEND \(message.id)", timeout: timeout) { command in
            switch command {
            case .accepted(let accepted) where accepted.id == message.id: command
            case .rejected(let rejected) where rejected.id == message.id: command
            default: nil
            }
        }
    }
}
