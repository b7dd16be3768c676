import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An exclusive `flock` on `<store>.lock`, held while a `ReferralNode` has the store open, so that two processes
/// never run one node (1/RBP §7.1: they would take each other's session over and over). The kernel releases it
/// when the process ends, however it ends.
final class StoreLock: Sendable {
    private let descriptor = Mutex<Int32?>(nil)

    /// Takes the lock or throws `storeInUse` at once (never waits).
    init(storePath: String) throws {
        let path = storePath + ".lock"
        do {
            let parent = URL(fileURLWithPath: storePath).deletingLastPathComponent()
            try FileManager.default.createDirectory(at: parent, withIntermediateDirectories: true)
        } catch {
            throw ReferralClientError.store(operation: "lock \(path)", cause: "cannot create its directory")
        }
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw ReferralClientError.store(operation: "lock \(path)", cause: String(cString: strerror(errno)))
        }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let code = errno
            close(fd)
            if code == EWOULDBLOCK { throw ReferralClientError.storeInUse(storePath) }
            throw ReferralClientError.store(operation: "lock \(path)", cause: String(cString: strerror(code)))
        }
        descriptor.withLock { $0 = fd }
    }

    /// Releases the lock. Idempotent.
    func release() {
        let fd: Int32? = descriptor.withLock { descriptor in
            defer { descriptor = nil }
            return descriptor
        }
        if let fd { close(fd) }  // closing the descriptor releases the flock
    }

    deinit {
        release()
    }
}
