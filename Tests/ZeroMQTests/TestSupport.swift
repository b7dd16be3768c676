import Dispatch
import Foundation
import Synchronization
import ZeroMQ

/// A socket with linger 0, so a test's context never waits on unsent messages.
func makeSocket(_ context: ZMQContext, _ type: SocketType) throws -> ZMQSocket {
    let socket = try ZMQSocket(context: context, type: type)
    try socket.setLinger(milliseconds: 0)
    return socket
}

/// Waits (with zmq_poll, no sleeping) up to `milliseconds` for one message.
func receive(_ socket: ZMQSocket, within milliseconds: Int = 2000) throws -> Message? {
    let ready = try zmqPoll([PollItem(socket: socket, events: .readable)], timeoutMilliseconds: milliseconds)
    guard ready[0].contains(.readable) else { return nil }
    return try socket.receive()
}

func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

/// Two PAIR sockets connected over inproc `name`: the first bound, the second connected.
func connectedPair(_ context: ZMQContext, _ name: String) throws -> (ZMQSocket, ZMQSocket) {
    let a = try makeSocket(context, .pair)
    let b = try makeSocket(context, .pair)
    try a.bind("inproc://\(name)")
    try b.connect("inproc://\(name)")
    return (a, b)
}

/// A ZAP handler (RFC 27) on its own thread, as the broker will run one: a REP socket on
/// inproc://zeromq.zap.01 answering 200 with a user id for known CURVE keys, 400 otherwise.
/// It must be started before the CURVE server binds.
final class ZAPHandler: Sendable {
    private let stopper: EventNotifier
    private let finished = DispatchSemaphore(value: 0)
    private let seen: Recorder

    /// Requests answered so far, each as its frames.
    var requests: [[[UInt8]]] { seen.frames.withLock { $0 } }

    /// Shared between the test and the handler thread.
    private final class Recorder: Sendable {
        let frames = Mutex<[[[UInt8]]]>([])
    }

    init(context: ZMQContext, users: [CurveKey: String]) throws {
        let stopper = try EventNotifier()
        let seen = Recorder()
        let finished = finished
        let ready = DispatchSemaphore(value: 0)
        let startError = Mutex<ZMQError?>(nil)
        let thread = Thread {
            defer { finished.signal() }
            do {
                let rep = try makeSocket(context, .rep)
                defer { rep.close() }
                try rep.bind("inproc://zeromq.zap.01")
                ready.signal()
                while true {
                    let items = [
                        PollItem(socket: rep, events: .readable),
                        PollItem(fileDescriptor: stopper.fileDescriptor, events: .readable),
                    ]
                    let events = try zmqPoll(items, timeoutMilliseconds: -1)
                    if events[1].contains(.readable) { return }
                    guard events[0].contains(.readable), let request = try rep.receive() else { continue }
                    seen.frames.withLock { $0.append(request.frames) }
                    let frames = request.frames
                    // version, request id, domain, address, routing id, mechanism, credentials...
                    let key = frames.count >= 7 ? CurveKey(bytes: frames[6]) : nil
                    let user = key.flatMap { users[$0] }
                    let requestId = frames.count > 1 ? frames[1] : []
                    let reply: [[UInt8]] = user.map {
                        [bytes("1.0"), requestId, bytes("200"), bytes("OK"), bytes($0), []]
                    } ?? [bytes("1.0"), requestId, bytes("400"), bytes("No access"), [], []]
                    try rep.send(reply)
                }
            } catch let error as ZMQError {
                startError.withLock { $0 = error }
                ready.signal()
            } catch {
                ready.signal()
            }
        }
        thread.start()
        ready.wait()
        if let error = startError.withLock({ $0 }) { throw error }
        self.stopper = stopper
        self.seen = seen
    }

    /// Stops the thread and waits until it has closed its socket.
    func stop() {
        stopper.notify()
        finished.wait()
    }
}
