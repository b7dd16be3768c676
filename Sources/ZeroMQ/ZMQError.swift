import CZeroMQ

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A failed libzmq call: the errno it left and the operation that failed.
///
/// The broker branches on a few codes (EAGAIN and EHOSTUNREACH mean "keep the delivery pending"),
/// so they get named predicates instead of making callers import libc.
public struct ZMQError: Error, CustomStringConvertible, Sendable {
    /// The errno value (libzmq's own codes, such as ETERM, sit above `ZMQ_HAUSNUMERO`).
    public let code: Int32
    /// What was being done, e.g. `"bind tcp://127.0.0.1:*"`.
    public let operation: String

    public init(code: Int32, operation: String) {
        self.code = code
        self.operation = operation
    }

    /// Captures `zmq_errno()` right after a failed call.
    static func last(_ operation: String) -> ZMQError {
        ZMQError(code: zmq_errno(), operation: operation)
    }

    /// The call would block (DONTWAIT, a timeout, or a full high-water mark).
    public var isAgain: Bool { code == EAGAIN }
    /// A ROUTER with ROUTER_MANDATORY has no peer with that routing id.
    public var isHostUnreachable: Bool { code == EHOSTUNREACH }
    /// A signal interrupted a blocking call.
    public var isInterrupted: Bool { code == EINTR }
    /// The context was terminated; the socket must be closed.
    public var isTerminated: Bool { code == ETERM }

    public var description: String {
        let text = zmq_strerror(code).map { String(cString: $0) } ?? "errno \(code)"
        return "\(operation): \(text) (\(code))"
    }
}
