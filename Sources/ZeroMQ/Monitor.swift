import CZeroMQ

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The connection events a socket monitor can report (`ZMQ_EVENT_*` of the stable API).
public struct SocketEvents: OptionSet, Sendable, Hashable {
    public let rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    /// A TCP connection was made (the ZMTP/CURVE handshake starts); the value is its fd.
    public static let connected = SocketEvents(rawValue: UInt16(ZMQ_EVENT_CONNECTED))
    /// A connection ended, whoever ended it; the value is its fd.
    public static let disconnected = SocketEvents(rawValue: UInt16(ZMQ_EVENT_DISCONNECTED))
    /// The ZMTP (and CURVE) handshake of a new connection succeeded: messages can flow on it.
    public static let handshakeSucceeded = SocketEvents(rawValue: UInt16(ZMQ_EVENT_HANDSHAKE_SUCCEEDED))
    /// The connection dropped during the handshake (a peer that closed it, e.g. one that could not decrypt
    /// our CURVE HELLO); libzmq reconnects by itself if a reconnect interval is set.
    public static let handshakeFailedNoDetail = SocketEvents(rawValue: UInt16(ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL))
    /// The peer broke the ZMTP or CURVE protocol; libzmq stops reconnecting this endpoint.
    public static let handshakeFailedProtocol = SocketEvents(rawValue: UInt16(ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL))
    /// The peer's authenticator (ZAP) refused us; the value is the ZAP status code (e.g. 400). libzmq stops
    /// reconnecting this endpoint.
    public static let handshakeFailedAuth = SocketEvents(rawValue: UInt16(ZMQ_EVENT_HANDSHAKE_FAILED_AUTH))
    /// An attempt to connect failed (refused, unreachable) and its file descriptor was closed; the value is the
    /// fd. libzmq tries again after the reconnect interval. (A connection that was up ends with `disconnected`.)
    public static let closed = SocketEvents(rawValue: UInt16(ZMQ_EVENT_CLOSED))
    /// The monitor ended (the monitored socket closed or `stopMonitor` was called).
    public static let monitorStopped = SocketEvents(rawValue: UInt16(ZMQ_EVENT_MONITOR_STOPPED))
}

/// One event read from a monitor socket.
public struct SocketEvent: Sendable, Equatable {
    /// Exactly one of the `SocketEvents` flags (or another `ZMQ_EVENT_*` number).
    public var event: SocketEvents
    /// The event's value: an fd, an errno, a ZAP status code or an interval, depending on the event.
    public var value: UInt32
    /// The endpoint the event is about (the one given to connect or bind).
    public var endpoint: String

    public init(event: SocketEvents, value: UInt32, endpoint: String) {
        self.event = event
        self.value = value
        self.endpoint = endpoint
    }
}

extension ZMQSocket {
    /// Starts a monitor (zmq_socket_monitor): libzmq publishes `events` of this socket on a PAIR socket bound to
    /// `endpoint` (inproc://, unique per monitor). Connect a `.pair` socket there and read it with `receiveEvent`.
    /// Start it before `connect`, so that the first connection's events are seen too; the pair must connect
    /// before the events of interest happen (libzmq drops events while nobody is connected).
    public func monitor(_ endpoint: String, events: SocketEvents) throws {
        let handle = try open("zmq_socket_monitor \(endpoint)")
        guard zmq_socket_monitor(handle, endpoint, Int32(events.rawValue)) == 0 else {
            throw ZMQError.last("zmq_socket_monitor \(endpoint)")
        }
    }

    /// Reads one event from a PAIR socket connected to a monitor endpoint; nil if none waits (dontWait).
    /// The wire format (libzmq 4.x, version 1): frame 1 = 16-bit event number and 32-bit value in host byte
    /// order, frame 2 = the endpoint.
    public func receiveEvent(dontWait: Bool = true) throws -> SocketEvent? {
        guard let message = try receive(dontWait: dontWait) else { return nil }
        guard message.frames.count == 2, message.frames[0].count == 6 else {
            throw ZMQError(code: EPROTO, operation: "monitor event with \(message.frames.count) frames")
        }
        let head = message.frames[0]
        let event = head.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 0, as: UInt16.self) }
        let value = head.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 2, as: UInt32.self) }
        return SocketEvent(
            event: SocketEvents(rawValue: event), value: value,
            endpoint: String(decoding: message.frames[1], as: UTF8.self))
    }
}
