import CZeroMQ

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What to wait for, and what happened, on one poll item.
public struct PollEvents: OptionSet, Sendable {
    public let rawValue: Int16
    public init(rawValue: Int16) { self.rawValue = rawValue }

    /// A whole message can be received (socket) or the fd is readable.
    public static let readable = PollEvents(rawValue: Int16(ZMQ_POLLIN))
    /// A message can be sent without blocking (socket) or the fd is writable.
    public static let writable = PollEvents(rawValue: Int16(ZMQ_POLLOUT))
    /// An error condition on a plain fd (never reported for ZeroMQ sockets).
    public static let error = PollEvents(rawValue: Int16(ZMQ_POLLERR))
}

/// One thing for `zmqPoll` to watch: a ZeroMQ socket or a plain fd (eventfd, timerfd, ...).
///
/// Holds the socket strongly so it stays open for the poll; like the socket, it stays on
/// the socket's thread.
public struct PollItem {
    enum Source {
        case socket(ZMQSocket)
        case fileDescriptor(Int32)
    }

    let source: Source
    let events: PollEvents

    public init(socket: ZMQSocket, events: PollEvents) {
        self.source = .socket(socket)
        self.events = events
    }

    public init(fileDescriptor: Int32, events: PollEvents) {
        self.source = .fileDescriptor(fileDescriptor)
        self.events = events
    }
}

/// zmq_poll; timeout -1 = forever; returns the revents per item, in order. EINTR -> returns all-empty (not an error).
///
/// Level-triggered, unlike ZMQ_FD, so it is the loop the broker's poll thread runs. A signal
/// returns early with nothing ready so the caller just recomputes its timers and polls again.
/// A closed socket in `items` throws ENOTSOCK.
public func zmqPoll(_ items: [PollItem], timeoutMilliseconds: Int) throws -> [PollEvents] {
    var set = PollSet(items)
    try set.poll(timeoutMilliseconds: timeoutMilliseconds)
    return items.indices.map { set.revents($0) }
}

/// `zmqPoll` for a loop that polls the same items every turn: the array libzmq reads is made once and reused, and
/// the revents are read in place, so a turn allocates nothing.
public struct PollSet {
    private let items: [PollItem]
    private var raw: [zmq_pollitem_t]

    public init(_ items: [PollItem]) {
        self.items = items
        raw = Array(repeating: zmq_pollitem_t(), count: items.count)
    }

    /// One zmq_poll of every item (see `zmqPoll`); afterwards `revents` tells what each has.
    public mutating func poll(timeoutMilliseconds: Int) throws {
        for (index, item) in items.enumerated() {
            switch item.source {
            case .socket(let socket):
                // Checked every time: a closed socket throws ENOTSOCK rather than handing libzmq a stale handle.
                let handle = try socket.open("zmq_poll")
                raw[index] = zmq_pollitem_t(socket: handle, fd: 0, events: item.events.rawValue, revents: 0)
            case .fileDescriptor(let fd):
                raw[index] = zmq_pollitem_t(socket: nil, fd: zmq_fd_t(fd), events: item.events.rawValue, revents: 0)
            }
        }
        let count = Int32(raw.count)
        let rc = withExtendedLifetime(items) {
            raw.withUnsafeMutableBufferPointer { zmq_poll($0.baseAddress, count, timeoutMilliseconds) }
        }
        if rc == -1 {
            let error = ZMQError.last("zmq_poll")
            guard error.isInterrupted else { throw error }
            for index in raw.indices { raw[index].revents = 0 }
        }
    }

    /// What the last `poll` found on item `index`.
    public func revents(_ index: Int) -> PollEvents { PollEvents(rawValue: raw[index].revents) }

    public var count: Int { raw.count }
}
