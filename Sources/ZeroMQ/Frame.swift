import CZeroMQ

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One whole multipart message, copied out of libzmq, with the connection metadata that
/// arrived with it.
public struct Message: Sendable {
    public var frames: [[UInt8]]
    /// The ZAP handler's user id for the sending connection (`zmq_msg_gets("User-Id")`): the
    /// authenticated identity. nil when there is none (no CURVE/ZAP, or inproc).
    public let userId: String?
    /// The peer's IP address (`zmq_msg_gets("Peer-Address")`), nil on non-IP transports.
    public let peerAddress: String?

    public init(frames: [[UInt8]], userId: String? = nil, peerAddress: String? = nil) {
        self.frames = frames
        self.userId = userId
        self.peerAddress = peerAddress
    }
}

extension ZMQSocket {
    /// Sends all frames as one multipart message. With dontWait: returns false on EAGAIN (nothing sent).
    /// Throws ZMQError for other errors (EHOSTUNREACH from ROUTER_MANDATORY included).
    ///
    /// Blocking sends (dontWait false) also return false when ZMQ_SNDTIMEO expires, and retry
    /// on EINTR. An empty `frames` throws EINVAL: ZeroMQ has no zero-part messages.
    ///
    /// libzmq decides whether a multipart message fits (HWM, ROUTER peer lookup) on its first
    /// frame, and then accepts the rest, so EAGAIN on a later frame should not happen; if it
    /// ever does, part of the message is queued and the rest is not, which we cannot undo, so
    /// it throws instead of returning false.
    @discardableResult
    public func send(_ frames: [[UInt8]], dontWait: Bool = true) throws -> Bool {
        let handle = try open("send")
        guard !frames.isEmpty else { throw ZMQError(code: EINVAL, operation: "send: no frames") }
        for (index, frame) in frames.enumerated() {
            guard try sendFrame(handle, frame, index: index, of: frames.count, dontWait: dontWait) else { return false }
        }
        return true
    }

    /// `send([routingId] + frames)` without building that array: a ROUTER's reply, its peer's routing id first.
    @discardableResult
    public func send(routedTo routingId: [UInt8], _ frames: [[UInt8]], dontWait: Bool = true) throws -> Bool {
        let handle = try open("send")
        let count = frames.count + 1
        guard try sendFrame(handle, routingId, index: 0, of: count, dontWait: dontWait) else { return false }
        for (index, frame) in frames.enumerated() {
            _ = try sendFrame(handle, frame, index: index + 1, of: count, dontWait: dontWait)
        }
        return true
    }

    /// Frame `index` of a message of `count`; false on EAGAIN of the first frame (nothing sent).
    private func sendFrame(
        _ handle: UnsafeMutableRawPointer, _ frame: [UInt8], index: Int, of count: Int, dontWait: Bool
    ) throws -> Bool {
        var flags: Int32 = dontWait ? ZMQ_DONTWAIT : 0
        if index < count - 1 { flags |= ZMQ_SNDMORE }
        while true {
            // zmq_send copies the bytes; an empty frame may have no storage, which is fine at length 0.
            let rc = frame.withUnsafeBytes { zmq_send(handle, $0.baseAddress, $0.count, flags) }
            if rc != -1 { return true }
            let error = ZMQError.last("send frame \(index) of \(count)")
            if error.isInterrupted { continue }
            if error.isAgain && index == 0 { return false }
            throw error
        }
    }

    /// Receives one whole multipart message; nil on EAGAIN when dontWait is true.
    ///
    /// Also nil when a blocking receive outlives ZMQ_RCVTIMEO; EINTR is retried. libzmq
    /// delivers multipart messages atomically, so once the first frame is in, the rest are too.
    /// Only the first `maxFrames` frames are copied out; the others are read and released at once,
    /// so a message of many frames costs no more than `maxFrames` of them.
    public func receive(dontWait: Bool = true, keepingAtMost maxFrames: Int = .max) throws -> Message? {
        try receiveMessage(dontWait: dontWait, keepingAtMost: maxFrames, routed: false)?.message
    }

    /// A ROUTER's `receive`: the routing id (frame 0) apart from the message's own frames (the rest, at most
    /// `maxFrames` of them kept), so neither is copied again to take them apart.
    public func receiveRouted(
        dontWait: Bool = true, keepingAtMost maxFrames: Int = .max
    ) throws -> (routingId: [UInt8], message: Message)? {
        try receiveMessage(dontWait: dontWait, keepingAtMost: maxFrames, routed: true)
    }

    private func receiveMessage(
        dontWait: Bool, keepingAtMost maxFrames: Int, routed: Bool
    ) throws -> (routingId: [UInt8], message: Message)? {
        let handle = try open("receive")
        let flags: Int32 = dontWait ? ZMQ_DONTWAIT : 0
        // zmq_msg_t may hold small payloads inline, so keep it at one stable address (on the stack).
        return try withUnsafeTemporaryAllocation(of: zmq_msg_t.self, capacity: 1) { buffer in
            let msg = buffer.baseAddress!
            var routingId: [UInt8]?
            var frames: [[UInt8]] = []
            var userId: String?
            var peerAddress: String?
            var received = 0
            while true {
                guard zmq_msg_init(msg) == 0 else { throw ZMQError.last("zmq_msg_init") }
                defer { zmq_msg_close(msg) }
                if zmq_msg_recv(msg, handle, flags) == -1 {
                    let error = ZMQError.last("receive frame \(received)")
                    if error.isInterrupted { continue }
                    if error.isAgain && received == 0 { return nil }
                    throw error
                }
                received += 1
                if routed && routingId == nil {
                    routingId = copy(msg)
                } else if frames.count < maxFrames {
                    frames.append(copy(msg))
                }
                if userId == nil && peerAddress == nil {
                    // Metadata belongs to the connection, so any frame of the message will do; take
                    // the first frame that has it. Not always frame 0: in libzmq 4.3.4 a ROUTER
                    // that was polled (ZMQ_EVENTS prefetches the message) hands out the routing-id
                    // frame without metadata, and only the body frames carry User-Id.
                    userId = property(msg, "User-Id")
                    peerAddress = property(msg, "Peer-Address")
                }
                if zmq_msg_more(msg) == 0 { break }
            }
            return (routingId ?? [], Message(frames: frames, userId: userId, peerAddress: peerAddress))
        }
    }
}

private func copy(_ msg: UnsafeMutablePointer<zmq_msg_t>) -> [UInt8] {
    let size = zmq_msg_size(msg)
    return size == 0 ? [] : Array(UnsafeRawBufferPointer(start: zmq_msg_data(msg), count: size))
}

/// `zmq_msg_gets` with the literal property name (the ZMQ_MSG_PROPERTY_* macros are draft-only).
private func property(_ msg: UnsafeMutablePointer<zmq_msg_t>, _ name: String) -> String? {
    guard let value = zmq_msg_gets(msg, name) else { return nil }
    return String(cString: value)
}
