#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// An exclusive `flock` on `<store>.lock`, taken before the store is opened and held until it is closed: a second
/// broker on the same data directory is refused at once, before it reads or writes anything. (SQLite's own lock,
/// `locking_mode=EXCLUSIVE`, would only make it wait `busy_timeout` and then fail its writes.) The kernel releases
/// the lock when the process ends, however it ends.
final class StoreFileLock {
    private var descriptor: Int32?

    /// Takes the lock or throws at once (never waits): `.locked` when another process holds it.
    init(storePath: String) throws {
        let path = storePath + ".lock"
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            let code = errno
            throw BrokerStoreError(
                path: storePath, operation: "lock",
                cause: "cannot create \(path): \(String(cString: strerror(code)))"
                    + (code == EROFS || code == EACCES ? " (the folder must be writable by referrald)" : ""),
                kind: code == EROFS || code == EACCES ? .readOnly : .other)
        }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let code = errno
            close(fd)
            if code == EWOULDBLOCK {
                throw BrokerStoreError(
                    path: storePath, operation: "lock",
                    cause: "another process has this store open (it holds \(path)): stop it, or give this broker "
                        + "its own data_directory",
                    kind: .locked)
            }
            throw BrokerStoreError(
                path: storePath, operation: "lock", cause: "flock \(path): \(String(cString: strerror(code)))")
        }
        descriptor = fd
    }

    /// Releases the lock (closing the descriptor releases the flock). Idempotent.
    func release() {
        if let fd = descriptor { close(fd) }
        descriptor = nil
    }

    deinit { release() }
}
