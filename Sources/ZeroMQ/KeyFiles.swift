import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// CURVE key files, as `referralctl keygen` writes them and the broker and nodes read them.
///
/// * A secret key file (`PREFIX.key`) holds exactly the 40-character Z85 secret key, optionally followed by one
///   newline. It is created with mode 0600 (never widened and then narrowed), and a reader refuses it if group
///   or others may read or write it (`mode & 0o077 != 0`): the error names the file and says `chmod 600 FILE`.
/// * A public key file (`PREFIX.pub`) holds the 40-character Z85 public key (+ optional newline), mode 0644.
///
/// Errors never contain key material.
public enum KeyFiles {
    /// Largest key file read; a key file is 40 or 41 octets.
    static let maximumSize = 4096

    /// Generates a key pair and writes `PREFIX.key` (secret, mode 0600) and `PREFIX.pub` (public, mode 0644).
    ///
    /// Each file is written to a temporary file created with its final mode in the same folder, flushed to
    /// disk, and then moved into place, so a reader never sees half a key. Without `force`, an existing
    /// `PREFIX.key` or `PREFIX.pub` is an error and nothing is written; with it, both are replaced. A missing
    /// folder is created with mode 0700.
    /// Returns the public key (Z85) and the two paths.
    @discardableResult
    public static func write(prefix: String, force: Bool = false) throws -> (
        publicKey: String, secretPath: String, publicPath: String
    ) {
        guard !prefix.isEmpty, !prefix.hasSuffix("/") else {
            throw KeyFileError(path: prefix, problem: "is not a file name prefix (e.g. keys/test-a)")
        }
        let secretPath = prefix + ".key"
        let publicPath = prefix + ".pub"
        if !force {
            for path in [secretPath, publicPath] where exists(path) {
                throw KeyFileError(path: path, problem: "already exists (refusing to overwrite it)")
            }
        }
        let folder = URL(fileURLWithPath: secretPath).deletingLastPathComponent().path
        if !exists(folder) {
            do {
                // A new folder for keys is private too.
                try FileManager.default.createDirectory(
                    atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            } catch {
                throw KeyFileError(path: folder, problem: "cannot be created (\(error.localizedDescription))")
            }
        }
        let pair = try Curve.generateKeyPair()
        try writeAtomically(path: secretPath, text: pair.secretKey.z85 + "\n", mode: 0o600, replace: force)
        do {
            try writeAtomically(path: publicPath, text: pair.publicKey.z85 + "\n", mode: 0o644, replace: force)
        } catch {
            unlink(secretPath)  // a secret key without its public key is of no use to anyone
            throw error
        }
        return (pair.publicKey.z85, secretPath, publicPath)
    }

    /// Reads a secret key file. Refuses a file that group or others may read or write, one that is not a
    /// regular file, and one that does not hold exactly one Z85 key (+ optional newline).
    public static func readSecret(path: String) throws -> CurveKey {
        try read(path: path, secret: true)
    }

    /// Reads a public key file: exactly one Z85 key (+ optional newline).
    public static func readPublic(path: String) throws -> CurveKey {
        try read(path: path, secret: false)
    }

    // MARK: - Reading

    private static func read(path: String, secret: Bool) throws -> CurveKey {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw KeyFileError(path: path, problem: "cannot be opened (\(errnoText()))")
        }
        defer { close(fd) }
        // fstat on the open descriptor: the mode checked is the mode of the file read.
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            throw KeyFileError(path: path, problem: "cannot be examined (\(errnoText()))")
        }
        guard info.st_mode & S_IFMT == S_IFREG else {
            throw KeyFileError(path: path, problem: "is not a regular file")
        }
        let mode = Int(info.st_mode) & 0o7777
        if secret, mode & 0o077 != 0 {
            throw KeyFileError(
                path: path,
                problem: "is readable or writable by group or others (mode \(octal(mode))); "
                    + "a secret key file must be private: chmod 600 \(path)")
        }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 512)
        while bytes.count <= maximumSize {
            let count = buffer.withUnsafeMutableBytes { systemRead(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw KeyFileError(path: path, problem: "cannot be read (\(errnoText()))")
            }
            if count == 0 { break }
            bytes.append(contentsOf: buffer[0..<count])
        }
        defer { bytes.withUnsafeMutableBufferPointer { $0.update(repeating: 0) } }
        let what = secret ? "secret" : "public"
        var text = bytes
        if text.last == UInt8(ascii: "\n") { text.removeLast() }
        guard text.count == 40, let key = CurveKey(z85: String(decoding: text, as: UTF8.self)) else {
            throw KeyFileError(
                path: path,
                problem: "must hold exactly one 40-character Z85 CURVE \(what) key (optionally followed by a newline)")
        }
        return key
    }

    // MARK: - Writing

    private static func exists(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0
    }

    /// Writes `text` into a new temporary file created with `mode` next to `path`, syncs it, and moves it to
    /// `path`: with `replace` by rename (replacing what is there), without it by link (failing if `path`
    /// exists, so a file that appeared meanwhile is not overwritten either).
    private static func writeAtomically(path: String, text: String, mode: mode_t, replace: Bool) throws {
        let url = URL(fileURLWithPath: path)
        let folder = url.deletingLastPathComponent().path
        let temporary = folder + "/." + url.lastPathComponent + ".tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard fd >= 0 else {
            throw KeyFileError(path: path, problem: "cannot be created (\(errnoText()))")
        }
        var bytes = Array(text.utf8)
        defer { bytes.withUnsafeMutableBufferPointer { $0.update(repeating: 0) } }
        var written = 0
        var failure: String?
        while written < bytes.count {
            let count = bytes[written...].withUnsafeBytes { systemWrite(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                failure = "cannot be written (\(errnoText()))"
                break
            }
            written += count
        }
        if failure == nil, fsync(fd) != 0 { failure = "cannot be flushed to disk (\(errnoText()))" }
        close(fd)
        if failure == nil {
            if replace {
                if rename(temporary, path) != 0 { failure = "cannot be replaced (\(errnoText()))" }
            } else if link(temporary, path) != 0 {
                failure =
                    errno == EEXIST ? "already exists (refusing to overwrite it)" : "cannot be created (\(errnoText()))"
            }
        }
        unlink(temporary)  // after rename, the name is gone already; after link, the key stays at `path`
        if let failure { throw KeyFileError(path: path, problem: failure) }
        let directory = open(folder.isEmpty ? "." : folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if directory >= 0 {
            _ = fsync(directory)
            close(directory)
        }
    }

    private static func octal(_ mode: Int) -> String {
        let digits = String(mode, radix: 8)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }

    private static func errnoText() -> String {
        String(cString: strerror(errno))
    }
}

/// A key file that cannot be written or used: which file and why. Never contains key material.
public struct KeyFileError: Error, CustomStringConvertible, Sendable, Hashable {
    public var path: String
    public var problem: String

    public init(path: String, problem: String) {
        self.path = path
        self.problem = problem
    }

    public var description: String { "\(path): \(problem)" }
}

// `read` and `write` are also members of `KeyFiles`; these name the system calls unambiguously.
private func systemRead(_ fd: Int32, _ buffer: UnsafeMutableRawPointer?, _ count: Int) -> Int {
    #if canImport(Glibc)
    Glibc.read(fd, buffer, count)
    #else
    Darwin.read(fd, buffer, count)
    #endif
}

private func systemWrite(_ fd: Int32, _ buffer: UnsafeRawPointer?, _ count: Int) -> Int {
    #if canImport(Glibc)
    Glibc.write(fd, buffer, count)
    #else
    Darwin.write(fd, buffer, count)
    #endif
}
