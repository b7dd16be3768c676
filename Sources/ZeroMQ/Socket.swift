import CZeroMQ

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One libzmq socket.
///
/// Not `Sendable`: libzmq sockets are not thread safe, so a socket belongs to the thread that
/// created it for its whole life (use, close and deinit included). Other threads reach that
/// thread through an inproc socket or an `EventNotifier` plus a queue.
public final class ZMQSocket {
    /// Kept so the context cannot be terminated (by deinit) while this socket is open.
    let context: ZMQContext
    /// nil once closed.
    private var handle: UnsafeMutableRawPointer?

    /// Creates a socket with libzmq's defaults; note ZMQ_LINGER is infinite until `setLinger`.
    public init(context: ZMQContext, type: SocketType) throws {
        guard !context.isTerminated else {
            throw ZMQError(code: ETERM, operation: "zmq_socket")
        }
        guard let handle = zmq_socket(context.handle, type.rawValue) else {
            throw ZMQError.last("zmq_socket")
        }
        self.context = context
        self.handle = handle
    }

    deinit {
        close()
    }

    /// The live handle, or ENOTSOCK once closed (so a closed socket fails like libzmq would).
    func open(_ operation: @autoclosure () -> String) throws -> UnsafeMutableRawPointer {
        guard let handle else { throw ZMQError(code: ENOTSOCK, operation: operation()) }
        return handle
    }

    public func bind(_ endpoint: String) throws {
        let handle = try open("bind \(endpoint)")
        guard zmq_bind(handle, endpoint) == 0 else { throw ZMQError.last("bind \(endpoint)") }
    }

    public func connect(_ endpoint: String) throws {
        let handle = try open("connect \(endpoint)")
        guard zmq_connect(handle, endpoint) == 0 else { throw ZMQError.last("connect \(endpoint)") }
    }

    public func disconnect(_ endpoint: String) throws {
        let handle = try open("disconnect \(endpoint)")
        guard zmq_disconnect(handle, endpoint) == 0 else {
            throw ZMQError.last("disconnect \(endpoint)")
        }
    }

    /// The endpoint last bound or connected (ZMQ_LAST_ENDPOINT), with the real port after
    /// binding `tcp://127.0.0.1:*`.
    public var lastEndpoint: String {
        get throws {
            let handle = try open("getsockopt ZMQ_LAST_ENDPOINT")
            var buffer = [CChar](repeating: 0, count: 1024)
            var size = buffer.count
            guard zmq_getsockopt(handle, ZMQ_LAST_ENDPOINT, &buffer, &size) == 0 else {
                throw ZMQError.last("getsockopt ZMQ_LAST_ENDPOINT")
            }
            return ZeroMQ.text(buffer)
        }
    }

    /// Closes the socket (zmq_close). Idempotent; pending messages follow ZMQ_LINGER.
    public func close() {
        guard let handle else { return }
        self.handle = nil
        _ = zmq_close(handle)
    }

    /// ZMQ_FD: an fd that becomes readable when ZMQ_EVENTS may have changed. It is
    /// edge-triggered, so after it fires check `canReceive` and drain; prefer `zmqPoll`.
    public var fileDescriptor: Int32 {
        get throws {
            var fd: zmq_fd_t = 0
            try getOption(ZMQ_FD, "ZMQ_FD", &fd)
            return Int32(fd)
        }
    }

    /// Whether a whole message can be received now (ZMQ_EVENTS has ZMQ_POLLIN).
    public var canReceive: Bool {
        get throws {
            var events: Int32 = 0
            try getOption(ZMQ_EVENTS, "ZMQ_EVENTS", &events)
            return events & Int32(ZMQ_POLLIN) != 0
        }
    }

    func getOption<T>(_ option: Int32, _ name: String, _ value: inout T) throws {
        let handle = try open("getsockopt \(name)")
        var size = MemoryLayout<T>.size
        let rc = withUnsafeMutableBytes(of: &value) { zmq_getsockopt(handle, option, $0.baseAddress, &size) }
        guard rc == 0 else { throw ZMQError.last("getsockopt \(name)") }
    }
}

/// A socket must never cross threads; this makes any attempt a compile-time error.
@available(*, unavailable, message: "a ZMQSocket belongs to one thread for its whole life")
extension ZMQSocket: Sendable {}
