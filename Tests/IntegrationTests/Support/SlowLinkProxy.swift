import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A TCP forwarder on 127.0.0.1 standing for a bad network between nodes and the broker: each connection it
/// accepts is forwarded to `upstreamPort`, each direction at most `octetsPerSecond` (nil: as fast as it goes).
/// `cutAll()` drops every connection it carries (as a reset link does); new connections keep working.
///
/// Threads with blocking calls; `stop()` shuts every socket down, which wakes each of them, and waits for them.
final class SlowLinkProxy: @unchecked Sendable {
    let port: UInt16
    var endpoint: String { "tcp://127.0.0.1:\(port)" }

    private let upstreamPort: UInt16
    private let octetsPerSecond: Int?
    private let listener: Int32
    private let lock = NSLock()
    private var connections: [Int32] = []
    private var stopped = false
    private let threads = DispatchGroup()

    init(upstream endpoint: String, octetsPerSecond: Int?) throws {
        guard let portText = endpoint.split(separator: ":").last, let upstream = UInt16(portText) else {
            throw HarnessError("no port in \(endpoint)")
        }
        upstreamPort = upstream
        self.octetsPerSecond = octetsPerSecond
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw HarnessError("socket: errno \(errno)") }
        var address = Self.loopback(port: 0)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0, listen(fd, 16) == 0 else {
            close(fd)
            throw HarnessError("bind/listen: errno \(errno)")
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        listener = fd
        port = UInt16(bigEndian: address.sin_port)
        spawn { self.acceptLoop() }
    }

    /// Ends every connection now (both ends see it closed); the proxy keeps accepting new ones.
    func cutAll() {
        lock.withLock { for fd in connections { shutdown(fd, Int32(SHUT_RDWR)) } }
    }

    /// Stops accepting, ends every connection and waits (up to 5 s) for the threads.
    func stop() {
        lock.withLock {
            stopped = true
            for fd in connections { shutdown(fd, Int32(SHUT_RDWR)) }
        }
        shutdown(listener, Int32(SHUT_RDWR))
        _ = threads.wait(timeout: .now() + 5)
        close(listener)
    }

    private static func loopback(port: UInt16) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return address
    }

    private func spawn(_ body: @escaping @Sendable () -> Void) {
        threads.enter()
        Thread {
            body()
            self.threads.leave()
        }.start()
    }

    private func acceptLoop() {
        while true {
            let client = accept(listener, nil, nil)
            guard client >= 0 else { return }  // the listener was shut down
            let server = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = Self.loopback(port: upstreamPort)
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(server, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            let admitted = lock.withLock {
                guard !stopped, connected == 0 else { return false }
                connections += [client, server]
                return true
            }
            guard admitted else {
                close(client)
                close(server)
                continue
            }
            let pair = Pair(client: client, server: server)
            spawn { self.pump(from: client, to: server, pair: pair) }
            spawn { self.pump(from: server, to: client, pair: pair) }
        }
    }

    /// The two sockets of one forwarded connection: closed by the second of its pumps to finish.
    private final class Pair: @unchecked Sendable {
        let client: Int32
        let server: Int32
        var running = 2
        init(client: Int32, server: Int32) {
            self.client = client
            self.server = server
        }
    }

    /// Copies one direction, pacing it to the rate: after each chunk it waits as long as the chunk takes at that
    /// rate. When either side ends, the whole connection ends.
    private func pump(from source: Int32, to destination: Int32, pair: Pair) {
        let chunk = octetsPerSecond.map { max($0 / 20, 1) } ?? 65_536
        var buffer = [UInt8](repeating: 0, count: chunk)
        // When the octets copied so far are due; idle time earns no credit.
        var due = ContinuousClock.now
        copying: while true {
            let count = buffer.withUnsafeMutableBytes { read(source, $0.baseAddress, chunk) }
            guard count > 0 else { break }
            var offset = 0
            while offset < count {
                let written = buffer.withUnsafeBytes {
                    send(destination, $0.baseAddress! + offset, count - offset, Int32(MSG_NOSIGNAL))
                }
                guard written > 0 else { break copying }
                offset += written
            }
            if let rate = octetsPerSecond {
                due = max(due, ContinuousClock.now) + .microseconds(count * 1_000_000 / rate)
                let left = due - ContinuousClock.now
                if left > .zero {
                    Thread.sleep(
                        forTimeInterval: Double(left.components.seconds) + Double(left.components.attoseconds) / 1e18)
                }
            }
        }
        let last = lock.withLock {
            shutdown(source, Int32(SHUT_RDWR))
            shutdown(destination, Int32(SHUT_RDWR))
            pair.running -= 1
            guard pair.running == 0 else { return false }
            connections.removeAll { $0 == pair.client || $0 == pair.server }
            return true
        }
        if last {
            close(pair.client)
            close(pair.server)
        }
    }
}
