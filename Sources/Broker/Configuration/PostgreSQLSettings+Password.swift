import Foundation
import ReferralProtocol

/// The database password, kept out of every printout: `description`, `debugDescription` and the mirror (what
/// string interpolation, logging and `dump` use) all say `<redacted>`, so a mistake in an error message or a log
/// line cannot leak it. The text itself is only handed to the connection.
public struct PostgreSQLPassword: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public let text: String

    public init(_ text: String) { self.text = text }

    public var description: String { "<redacted>" }
    public var debugDescription: String { "<redacted>" }
    public var customMirror: Mirror { Mirror(self, children: []) }
}

extension PostgreSQLSettings {
    /// The environment variable read when `password_file` is not set.
    public static let passwordVariable = "REFERRALD_PG_PASSWORD"

    /// The password: the first line of `password_file` (which must be a regular file its group and others cannot
    /// read or write, mode 0600 or 0400, checked like the CURVE secret key file), else `REFERRALD_PG_PASSWORD`,
    /// else nil (a server that authenticates otherwise, e.g. by certificate). An error names the setting and the
    /// file, never the content.
    public func password(environment: [String: String]) throws(ConfigurationError) -> PostgreSQLPassword? {
        guard !passwordFile.isEmpty else {
            guard let text = environment[Self.passwordVariable], !text.isEmpty else { return nil }
            return PostgreSQLPassword(text)
        }
        func fail(_ problem: String) -> ConfigurationError {
            ConfigurationError(setting: "store.postgresql.password_file", reason: "\(passwordFile) \(problem)")
        }
        let fd = open(passwordFile, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw fail("cannot be opened (\(String(cString: strerror(errno)))): write the password into it, mode 0600")
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { throw fail("is not a regular file") }
        let mode = Int(info.st_mode) & 0o777
        guard mode & 0o077 == 0 else {
            throw fail(
                "can be read or written by its group or others (mode \(String(mode, radix: 8))): "
                    + "chmod 600 \(passwordFile)")
        }
        var bytes = [UInt8](repeating: 0, count: 4_096)
        let count = read(fd, &bytes, bytes.count)
        guard count >= 0 else { throw fail("cannot be read") }
        // The first line, as written by `echo` or an editor; spaces inside a password are its own.
        let line = bytes[..<count].split(separator: 0x0A, maxSplits: 1, omittingEmptySubsequences: false).first ?? []
        let text = String(decoding: line, as: UTF8.self).trimmingCharacters(in: CharacterSet(charactersIn: "\r"))
        guard !text.isEmpty else { throw fail("holds no password on its first line") }
        return PostgreSQLPassword(text)
    }

    /// `ca_file` can be read (its certificates are checked when the first connection is made).
    public func checkCAFile() throws(ConfigurationError) {
        guard !caFile.isEmpty else { return }
        guard FileManager.default.isReadableFile(atPath: caFile) else {
            throw ConfigurationError(
                setting: "store.postgresql.ca_file", reason: "\(caFile) does not exist or cannot be read")
        }
    }
}
