import Dispatch
import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The bench's temporary data directory: checked for free space, created with mkdtemp, removed at the end
/// (also on errors and on SIGINT/SIGTERM, see `Cleanup`).
struct Workspace {
    let path: String

    /// Refuses to run when the file system of `parent` has less than `minimumFreeBytes` available.
    static func create(in parent: String, minimumFreeBytes: UInt64) throws -> Workspace {
        let free = try freeBytes(of: parent)
        guard free >= minimumFreeBytes else {
            throw BenchError(
                "only \(gib(free)) GiB free on the file system of \(parent); the bench needs at least "
                    + "\(gib(minimumFreeBytes)) GiB there (choose another --work-dir or lower --min-free-gib)")
        }
        var template = Array((parent as NSString).appendingPathComponent("referral-bench-XXXXXX").utf8CString)
        let created: String? = template.withUnsafeMutableBufferPointer { buffer in
            guard let result = mkdtemp(buffer.baseAddress!) else { return nil }
            return String(cString: result)
        }
        guard let created else { throw BenchError("cannot create a temporary directory in \(parent)") }
        Cleanup.shared.register(directory: created)
        return Workspace(path: created)
    }

    /// Bytes available to an unprivileged user on the file system holding `path` (statvfs).
    static func freeBytes(of path: String) throws -> UInt64 {
        var stats = statvfs()
        guard statvfs(path, &stats) == 0 else {
            throw BenchError("cannot read the free space of \(path): \(String(cString: strerror(errno)))")
        }
        return UInt64(stats.f_bavail) * UInt64(stats.f_frsize)
    }

    static func gib(_ bytes: UInt64) -> String {
        String(format: "%.1f", Double(bytes) / Double(1 << 30))
    }

    /// A fresh subdirectory for one scenario.
    func subdirectory(_ name: String) throws -> String {
        let path = (self.path as NSString).appendingPathComponent(name)
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    func remove() {
        Cleanup.shared.removeDirectory(path)
    }
}

/// What must not outlive the bench: daemons it started and its data directory. Normal paths clean up as they
/// go; a SIGINT/SIGTERM handler cleans up whatever is still registered and exits.
final class Cleanup: Sendable {
    static let shared = Cleanup()

    private struct State {
        var pids: Set<Int32> = []
        var directories: [String] = []
    }

    private let state = Mutex(State())
    /// Kept alive for the life of the process; written once, from `installSignalHandlers`.
    private nonisolated(unsafe) static var signalSources: [any DispatchSourceSignal] = []

    func register(pid: Int32) { _ = state.withLock { $0.pids.insert(pid) } }
    func unregister(pid: Int32) { _ = state.withLock { $0.pids.remove(pid) } }
    func register(directory: String) { state.withLock { $0.directories.append(directory) } }

    func removeDirectory(_ path: String) {
        state.withLock { $0.directories.removeAll { $0 == path } }
        try? FileManager.default.removeItem(atPath: path)
    }

    /// Installs handlers for SIGINT, SIGTERM, SIGHUP and SIGPIPE (output piped into `head`, say) that kill the
    /// registered daemons, remove the data and exit. (A SIGKILL cannot be caught: it leaves both behind.)
    func installSignalHandlers() {
        let sources: [any DispatchSourceSignal] = [SIGINT, SIGTERM, SIGHUP, SIGPIPE].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { [self] in
                printError("\nreferral-bench: interrupted; stopping referrald and removing data")
                runAll()
                exit(number == SIGPIPE ? 141 : 130)
            }
            source.resume()
            return source
        }
        Self.signalSources = sources
    }

    /// Kills every registered daemon (SIGTERM, then SIGKILL) and removes every registered directory.
    func runAll() {
        let (pids, directories) = state.withLock { state in
            defer {
                state.pids = []
                state.directories = []
            }
            return (state.pids, state.directories)
        }
        for pid in pids { kill(pid, SIGTERM) }
        let deadline = Clocks.monotonicNanos() + 3_000_000_000
        while pids.contains(where: { kill($0, 0) == 0 && !Self.hasExited($0) }) && Clocks.monotonicNanos() < deadline {
            usleep(20_000)
        }
        for pid in pids where kill(pid, 0) == 0 { kill(pid, SIGKILL) }
        for directory in directories { try? FileManager.default.removeItem(atPath: directory) }
    }

    /// Whether the process is a zombie (exited, not yet reaped).
    private static func hasExited(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return true }
        guard let close = stat.lastIndex(of: ")") else { return false }
        return stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).hasPrefix("Z")
    }
}

struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
