#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An eventfd the poll loop can watch, so other threads can wake it (write 1 to notify; read drains).
///
/// ZeroMQ sockets cannot be touched from other threads, so producers (the store thread, async
/// callers) push work onto a queue and call `notify()`; the poll thread watches
/// `fileDescriptor` with `zmqPoll`, calls `drain()`, then empties the queue. Notifications
/// coalesce: many notifies before a drain wake the loop once.
///
/// `@unchecked Sendable` because `notify()` is a single write(2) on an fd, which is thread
/// safe; the fd is fixed for the object's life. Only the poll thread should `drain()`.
///
/// On Linux this is an eventfd(2) in non-blocking mode. Swift's Glibc module does not export
/// <sys/eventfd.h>, so `eventfd` is looked up with dlsym and called through a C function
/// pointer (same ABI as a direct call). Elsewhere, or if that lookup fails, it falls back to
/// a non-blocking pipe, which behaves the same for poll.
public final class EventNotifier: @unchecked Sendable {
    /// The fd to poll for `.readable`.
    public let fileDescriptor: Int32
    /// Where `notify` writes: the same eventfd, or the pipe's write end.
    private let writeDescriptor: Int32

    public init() throws {
        if let fd = EventNotifier.makeEventFD() {
            fileDescriptor = fd
            writeDescriptor = fd
            return
        }
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { throw ZMQError(code: errno, operation: "pipe") }
        for fd in fds {
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        }
        fileDescriptor = fds[0]
        writeDescriptor = fds[1]
    }

    deinit {
        _ = close(fileDescriptor)
        if writeDescriptor != fileDescriptor { _ = close(writeDescriptor) }
    }

    /// Wakes the poll loop. Safe from any thread; never blocks.
    public func notify() {
        var one: UInt64 = 1
        while true {
            let written = withUnsafeBytes(of: &one) { write(writeDescriptor, $0.baseAddress, $0.count) }
            // EAGAIN means the counter or pipe is already full: the loop will wake anyway.
            if written >= 0 || errno != EINTR { return }
        }
    }

    /// Clears pending notifications so the fd stops polling readable. Never blocks.
    public func drain() {
        var buffer = [UInt8](repeating: 0, count: 64)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(fileDescriptor, $0.baseAddress, $0.count) }
            if count > 0 { continue }
            if count < 0 && errno == EINTR { continue }
            return  // EAGAIN: empty (or EOF/error, nothing more to read)
        }
    }

    private static func makeEventFD() -> Int32? {
        #if os(Linux)
        typealias EventFD = @convention(c) (UInt32, Int32) -> Int32
        guard let symbol = dlsym(dlopen(nil, RTLD_NOW), "eventfd") else { return nil }
        // EFD_NONBLOCK and EFD_CLOEXEC equal O_NONBLOCK and O_CLOEXEC by definition on Linux.
        let fd = unsafeBitCast(symbol, to: EventFD.self)(0, O_NONBLOCK | O_CLOEXEC)
        return fd >= 0 ? fd : nil
        #else
        return nil
        #endif
    }
}
