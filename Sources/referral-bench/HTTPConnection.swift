import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A minimal HTTP/1.1 client over one kept-alive TCP connection to a loopback port, with blocking calls: it runs
/// on a thread of its own (a gateway scenario's sender or consumer), never on Swift's cooperative pool. Every
/// call is bounded by its timeout (SO_RCVTIMEO/SO_SNDTIMEO). Plain sockets rather than URLSession: on Linux
/// URLSession goes through libcurl and dispatch queues, whose CPU and hops would be counted as the gateway's;
/// this client costs a write and a read per request, so the figures are the gateway's own.
///
/// It reads what the gateway (hummingbird) answers: a status line, headers, and a body of `Content-Length`
/// octets or chunked; `Connection: close` closes the connection and the next call opens a new one.
final class HTTPConnection {
    struct Answer {
        var status: Int
        var body: [UInt8]
        var text: String { String(decoding: body, as: UTF8.self) }
    }

    let port: UInt16
    private var socket: Int32 = -1
    private var buffer: [UInt8] = []

    init(port: UInt16) {
        self.port = port
    }

    deinit { close() }

    /// The port of a URL such as `http://127.0.0.1:40123` (what the gateway prints); nil for another form.
    static func port(of url: String) -> UInt16? {
        guard url.hasPrefix("http://127.0.0.1:"), let colon = url.lastIndex(of: ":") else { return nil }
        return UInt16(url[url.index(after: colon)...])
    }

    func close() {
        if socket >= 0 { _ = Glibc.close(socket) }
        socket = -1
        buffer = []
    }

    /// One request and its answer. A kept-alive connection the server closed meanwhile is reopened and the
    /// request sent once more (every request of the bench is idempotent: sends by id, completes by handle).
    func request(_ method: String, _ path: String, body: [UInt8]? = nil, timeoutSeconds: Double) throws -> Answer {
        let reused = socket >= 0
        do {
            return try exchange(method, path, body: body, timeoutSeconds: timeoutSeconds)
        } catch let error as HTTPError where reused && error.beforeAnswer {
            close()
            return try exchange(method, path, body: body, timeoutSeconds: timeoutSeconds)
        }
    }

    private func exchange(_ method: String, _ path: String, body: [UInt8]?, timeoutSeconds: Double) throws -> Answer {
        if socket < 0 { try open() }
        setTimeout(timeoutSeconds)
        var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\n"
        if let body { head += "Content-Type: application/json\r\nContent-Length: \(body.count)\r\n" }
        head += "\r\n"
        try write(Array(head.utf8) + (body ?? []))
        return try readAnswer(method: method)
    }

    private func open() throws {
        let fd = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw HTTPError("socket: \(String(cString: strerror(errno)))") }
        var one: Int32 = 1
        _ = setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
        let result = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard result == 0 else {
            let reason = String(cString: strerror(errno))
            _ = Glibc.close(fd)
            throw HTTPError("connect to 127.0.0.1:\(port): \(reason)")
        }
        socket = fd
        buffer = []
    }

    private func setTimeout(_ seconds: Double) {
        var time = timeval(tv_sec: Int(seconds), tv_usec: Int((seconds - seconds.rounded(.down)) * 1e6))
        _ = setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &time, socklen_t(MemoryLayout<timeval>.size))
        _ = setsockopt(socket, SOL_SOCKET, SO_SNDTIMEO, &time, socklen_t(MemoryLayout<timeval>.size))
    }

    private func write(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            // MSG_NOSIGNAL: a closed peer is an error here, not a SIGPIPE (which the bench treats as Ctrl-C).
            let written = bytes.withUnsafeBytes { raw in
                send(socket, raw.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL))
            }
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else {
                throw HTTPError("write: \(String(cString: strerror(errno)))", beforeAnswer: true)
            }
            offset += written
        }
    }

    /// Reads more octets into `buffer`; false at the end of the stream.
    private func fill() throws -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = chunk.withUnsafeMutableBytes { recv(socket, $0.baseAddress!, $0.count, 0) }
            if count > 0 {
                buffer.append(contentsOf: chunk[0..<count])
                return true
            }
            if count == 0 { return false }
            if errno == EINTR { continue }
            if errno == EAGAIN || errno == EWOULDBLOCK { throw HTTPError("no answer within the timeout") }
            throw HTTPError("read: \(String(cString: strerror(errno)))", beforeAnswer: buffer.isEmpty)
        }
    }

    private func readAnswer(method: String) throws -> Answer {
        let separator: [UInt8] = [13, 10, 13, 10]
        var headEnd: Int?
        while headEnd == nil {
            headEnd = Self.find(separator, in: buffer)
            if headEnd == nil {
                let hadNothing = buffer.isEmpty
                guard try fill() else {
                    throw HTTPError("the server closed the connection", beforeAnswer: hadNothing)
                }
            }
        }
        let head = String(decoding: buffer[0..<headEnd!], as: UTF8.self)
        buffer.removeFirst(headEnd! + 4)
        let lines = head.split(separator: "\r\n", omittingEmptySubsequences: false)
        let statusParts = lines.first?.split(separator: " ") ?? []
        guard statusParts.count >= 2, let status = Int(statusParts[1]) else {
            throw HTTPError("not an HTTP status line: \(lines.first ?? "")")
        }
        var length: Int?
        var chunked = false
        var closes = false
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon].lowercased()
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces).lowercased()
            switch name {
            case "content-length": length = Int(value)
            case "transfer-encoding": chunked = value.contains("chunked")
            case "connection": closes = value.contains("close")
            default: break
            }
        }
        var body: [UInt8] = []
        if method == "HEAD" || status == 204 || status == 304 || (100..<200).contains(status) {
            body = []
        } else if chunked {
            body = try readChunked()
        } else if let length {
            while buffer.count < length {
                guard try fill() else { throw HTTPError("the server closed the connection inside a body") }
            }
            body = Array(buffer[0..<length])
            buffer.removeFirst(length)
        } else {
            while try fill() {}
            body = buffer
            buffer = []
            closes = true
        }
        if closes { close() }
        return Answer(status: status, body: body)
    }

    private func readChunked() throws -> [UInt8] {
        var body: [UInt8] = []
        while true {
            var lineEnd = Self.find([13, 10], in: buffer)
            while lineEnd == nil {
                guard try fill() else { throw HTTPError("the server closed the connection inside a chunk") }
                lineEnd = Self.find([13, 10], in: buffer)
            }
            let sizeText = String(decoding: buffer[0..<lineEnd!], as: UTF8.self).split(separator: ";").first ?? ""
            guard let size = Int(sizeText.trimmingCharacters(in: .whitespaces), radix: 16) else {
                throw HTTPError("bad chunk size")
            }
            buffer.removeFirst(lineEnd! + 2)
            while buffer.count < size + 2 {
                guard try fill() else { throw HTTPError("the server closed the connection inside a chunk") }
            }
            if size == 0 {
                // No trailers from hummingbird: the last chunk is followed by one empty line.
                buffer.removeFirst(2)
                return body
            }
            body.append(contentsOf: buffer[0..<size])
            buffer.removeFirst(size + 2)
        }
    }

    private static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        var index = 0
        while index <= haystack.count - needle.count {
            if haystack[index] == needle[0] && Array(haystack[index..<index + needle.count]) == needle { return index }
            index += 1
        }
        return nil
    }
}

struct HTTPError: Error, CustomStringConvertible {
    var description: String
    /// Nothing of an answer was read: the request may be sent again on a new connection.
    var beforeAnswer = false

    init(_ description: String, beforeAnswer: Bool = false) {
        self.description = description
        self.beforeAnswer = beforeAnswer
    }
}
