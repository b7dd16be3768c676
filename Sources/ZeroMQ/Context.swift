import CZeroMQ
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A libzmq context: the I/O threads and the inproc namespace that sockets share.
///
/// `@unchecked Sendable` because libzmq contexts are thread safe (zmq_ctx_new(3)): any thread
/// may create sockets in it. Only the sockets are confined to one thread.
public final class ZMQContext: @unchecked Sendable {
    let handle: UnsafeMutableRawPointer
    private let terminated = Atomic<Bool>(false)

    public init() throws {
        guard let handle = zmq_ctx_new() else { throw ZMQError.last("zmq_ctx_new") }
        self.handle = handle
    }

    /// Whether `terminate()` has started; sockets refuse to open after it (ETERM).
    var isTerminated: Bool { terminated.load(ordering: .acquiring) }

    /// Terminates the context (zmq_ctx_term). Idempotent.
    ///
    /// Blocks until every socket of this context is closed, and each close waits out its
    /// ZMQ_LINGER (infinite by default): set linger to 0 and close sockets in their owning
    /// threads first, or shutdown hangs.
    public func terminate() {
        guard terminated.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged
        else { return }
        while zmq_ctx_term(handle) != 0 {
            // EINTR: a signal arrived while waiting for sockets to close; wait again.
            // EFAULT cannot happen for a live handle, so anything else ends the loop.
            if zmq_errno() != EINTR { break }
        }
    }

    deinit {
        terminate()
    }
}
