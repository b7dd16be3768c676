import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// An exclusive, non-blocking `flock` on a file (created mode 0600 when missing), held until `release()`: how the
/// broker's store and a node's store each make sure that one process at a time has them open, before SQLite reads
/// or writes anything. The kernel releases it when the process ends, however it ends.
public final class ExclusiveFileLock: Sendable {
    public enum Failure: Error, Sendable, Equatable {
        /// Another process holds the lock.
        case heldByAnotherProcess
        /// `open` or `flock` failed with this errno.
        case system(operation: String, errno: Int32)
    }

    public let path: String
    private let descriptor: Mutex<Int32?>

    /// Takes the lock or throws at once (never waits).
    public init(path: String) throws(Failure) {
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw .system(operation: "open", errno: errno) }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let code = errno
            close(fd)
            throw code == EWOULDBLOCK ? .heldByAnotherProcess : .system(operation: "flock", errno: code)
        }
        self.path = path
        descriptor = Mutex(fd)
    }

    /// Releases the lock (closing the descriptor releases the flock). Idempotent.
    public func release() {
        let fd: Int32? = descriptor.withLock { descriptor in
            defer { descriptor = nil }
            return descriptor
        }
        if let fd { close(fd) }
    }

    deinit { release() }
}
