import Foundation
import ReferralProtocol

/// The daemon's HTTP listener (`"http"` in referrald.json): /health, /ready, /metrics. Loopback by default; on any
/// other address it needs TLS (certificate and key files) and an operator token file, and refuses to start
/// without them (`validate`).
public struct HTTPSettings: Sendable, Hashable {
    /// `host:port` (`[v6]:port` for IPv6); `""` or `"off"` turns the listener off; port 0 picks a free one (logged
    /// as `http listening` and written to the ready file).
    public var listen = "127.0.0.1:9470"
    public var tlsCertificateFile = ""
    public var tlsKeyFile = ""
    /// A file holding the bearer token every request but /health must carry (mode: not readable by others).
    public var tokenFile = ""

    public init() {}

    public var isEnabled: Bool { !(listen.isEmpty || listen == "off") }
    public var usesTLS: Bool { !tlsCertificateFile.isEmpty }

    /// The host and port of `listen`, or why it is not `host:port`.
    public func address() -> Result<(host: String, port: Int), ConfigurationError> {
        let fail = ConfigurationError(
            field: "http.listen", reason: "must be host:port (e.g. 127.0.0.1:9470, [::1]:9470) or off, got '\(listen)'")
        var host: Substring
        let portText: Substring
        if listen.hasPrefix("[") {
            guard let close = listen.firstIndex(of: "]"), listen[listen.index(after: close)...].hasPrefix(":") else {
                return .failure(fail)
            }
            host = listen[listen.index(after: listen.startIndex)..<close]
            portText = listen[listen.index(close, offsetBy: 2)...]
        } else {
            guard let colon = listen.lastIndex(of: ":") else { return .failure(fail) }
            host = listen[..<colon]
            portText = listen[listen.index(after: colon)...]
            if host.contains(":") { return .failure(fail) }
        }
        guard !host.isEmpty, let port = Int(portText), (0...65_535).contains(port) else { return .failure(fail) }
        if host == "*" { host = "0.0.0.0" }
        return .success((String(host), port))
    }

    /// Whether `host` only reaches this machine: 127.0.0.0/8, ::1 or localhost.
    public static func isLoopback(_ host: String) -> Bool {
        if host == "localhost" || host == "::1" { return true }
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts[0] == "127" && parts.allSatisfy { UInt8($0) != nil }
    }

    /// A listener off loopback must be protected: TLS and a token, or the broker does not start (the error names
    /// the missing member).
    func validate(source: String) throws(ConfigurationError) {
        guard isEnabled else { return }
        let host: String
        switch address() {
        case .success(let address): host = address.host
        case .failure(var error):
            error.file = source
            throw error
        }
        func fail(_ field: String, _ problem: String) -> ConfigurationError {
            ConfigurationError(file: source, field: field, reason: problem)
        }
        if tlsCertificateFile.isEmpty != tlsKeyFile.isEmpty {
            throw fail(
                tlsCertificateFile.isEmpty ? "http.tls_certificate_file" : "http.tls_key_file",
                "is required with \(tlsCertificateFile.isEmpty ? "http.tls_key_file" : "http.tls_certificate_file")")
        }
        guard !Self.isLoopback(host) else { return }
        let why = "is required when http.listen is not a loopback address (\(listen)): a listener other machines reach "
            + "needs TLS and an operator token (or listen on 127.0.0.1)"
        if tlsCertificateFile.isEmpty { throw fail("http.tls_certificate_file", why) }
        if tlsKeyFile.isEmpty { throw fail("http.tls_key_file", why) }
        if tokenFile.isEmpty { throw fail("http.token_file", why) }
    }

    /// The TLS files can be read (their content is checked when the listener starts).
    public func checkTLSFiles() throws(ConfigurationError) {
        for (field, path) in [("http.tls_certificate_file", tlsCertificateFile), ("http.tls_key_file", tlsKeyFile)]
        where !path.isEmpty {
            guard FileManager.default.isReadableFile(atPath: path) else {
                throw ConfigurationError(setting: field, reason: "\(path) does not exist or cannot be read")
            }
        }
    }

    /// The token (surrounding white space removed), nil without a token file. Refuses a file others can read, an
    /// empty one, or one that cannot be read. The token is never logged or printed.
    public func readToken() throws(ConfigurationError) -> [UInt8]? {
        guard !tokenFile.isEmpty else { return nil }
        func fail(_ problem: String) -> ConfigurationError {
            ConfigurationError(setting: "http.token_file", reason: "\(tokenFile) \(problem)")
        }
        let fd = open(tokenFile, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw fail("cannot be opened (\(String(cString: strerror(errno))))") }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { throw fail("is not a regular file") }
        let mode = Int(info.st_mode) & 0o777
        guard mode & 0o007 == 0 else {
            throw fail("can be read by others (mode \(String(mode, radix: 8))): chmod 600 \(tokenFile)")
        }
        var bytes = [UInt8](repeating: 0, count: 4_096)
        let count = read(fd, &bytes, bytes.count)
        guard count >= 0 else { throw fail("cannot be read") }
        let text = String(decoding: bytes[..<count], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard text.utf8.count >= 16, !text.contains(where: \.isWhitespace) else {
            throw fail("must hold one token of at least 16 characters without spaces")
        }
        return Array(text.utf8)
    }
}
