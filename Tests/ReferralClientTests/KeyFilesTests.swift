import Foundation
import Testing
import ZeroMQ

@testable import ReferralClient

/// The file mode bits of `path` (permissions only).
func fileMode(_ path: String) throws -> Int {
    let attributes = try FileManager.default.attributesOfItem(atPath: path)
    return (attributes[.posixPermissions] as? NSNumber)?.intValue ?? -1
}

/// Sets the mode of an existing file (tests only: to make a key file that a reader must refuse).
func setMode(_ path: String, _ mode: Int) throws {
    try FileManager.default.setAttributes([.posixPermissions: NSNumber(value: mode)], ofItemAtPath: path)
}

@Suite struct KeyFilesTests {
    @Test func writesAPrivateSecretAndAPublicKeyThatBelongTogether() throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        let written = try KeyFiles.write(prefix: directory.file("keys/test-a"))
        #expect(written.secretPath == directory.file("keys/test-a.key"))
        #expect(written.publicPath == directory.file("keys/test-a.pub"))
        #expect(try fileMode(written.secretPath) == 0o600)
        #expect(try fileMode(written.publicPath) & 0o777 == 0o644 & ~currentUmask())
        #expect(try fileMode(directory.file("keys")) == 0o700)  // a folder made for keys is private

        let secretText = try String(contentsOfFile: written.secretPath, encoding: .utf8)
        let publicText = try String(contentsOfFile: written.publicPath, encoding: .utf8)
        #expect(secretText.utf8.count == 41 && secretText.hasSuffix("\n"))
        #expect(publicText == written.publicKey + "\n")
        #expect(written.publicKey.utf8.count == 40)

        let secret = try KeyFiles.readSecret(path: written.secretPath)
        let publicKey = try KeyFiles.readPublic(path: written.publicPath)
        #expect(publicKey.z85 == written.publicKey)
        #expect(try Curve.publicKey(forSecret: secret) == publicKey)
        // No temporary files are left behind.
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.file("keys")).sorted()
            == ["test-a.key", "test-a.pub"])
    }

    @Test func refusesToOverwriteWithoutForce() throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        let prefix = directory.file("test-a")
        let first = try KeyFiles.write(prefix: prefix)
        #expect(throws: KeyFileError.self) { try KeyFiles.write(prefix: prefix) }
        do {
            try KeyFiles.write(prefix: prefix)
        } catch let error as KeyFileError {
            #expect(error.path == prefix + ".key")
            #expect(error.description.contains("already exists"))
        }
        #expect(try KeyFiles.readPublic(path: first.publicPath).z85 == first.publicKey)

        // Only the public file there: still refused, and no secret file is written.
        try FileManager.default.removeItem(atPath: first.secretPath)
        #expect(throws: KeyFileError.self) { try KeyFiles.write(prefix: prefix) }
        #expect(!FileManager.default.fileExists(atPath: first.secretPath))

        // With force both are replaced, and a loose old secret file does not keep its loose mode.
        try Data("old".utf8).write(to: URL(fileURLWithPath: first.secretPath))
        try setMode(first.secretPath, 0o644)
        let second = try KeyFiles.write(prefix: prefix, force: true)
        #expect(second.publicKey != first.publicKey)
        #expect(try fileMode(second.secretPath) == 0o600)
        #expect(try Curve.publicKey(forSecret: KeyFiles.readSecret(path: second.secretPath)).z85 == second.publicKey)
    }

    @Test func aSecretKeyFileOthersMayReadOrWriteIsRefusedNamingChmod() throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        let written = try KeyFiles.write(prefix: directory.file("test-a"))
        for mode in [0o644, 0o640, 0o604, 0o620, 0o602, 0o660, 0o666] {
            try setMode(written.secretPath, mode)
            do {
                _ = try KeyFiles.readSecret(path: written.secretPath)
                Issue.record("mode \(String(mode, radix: 8)) was accepted")
            } catch let error as KeyFileError {
                #expect(error.path == written.secretPath)
                #expect(error.description.contains("chmod 600 \(written.secretPath)"))
                #expect(error.description.contains("0" + String(mode, radix: 8)))
            }
        }
        // Owner-only modes are fine, and a public key file may be world-readable.
        for mode in [0o600, 0o400] {
            try setMode(written.secretPath, mode)
            _ = try KeyFiles.readSecret(path: written.secretPath)
        }
        try setMode(written.publicPath, 0o644)
        _ = try KeyFiles.readPublic(path: written.publicPath)
    }

    @Test func theFileMustHoldExactlyOneKey() throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        let pair = try Curve.generateKeyPair()
        let secret = pair.secretKey.z85
        func secretFile(_ text: String) throws -> String {
            let path = try directory.write("s-\(UUID().uuidString).key", text)
            try setMode(path, 0o600)
            return path
        }
        #expect(try KeyFiles.readSecret(path: secretFile(secret)) == pair.secretKey)  // no newline
        #expect(try KeyFiles.readSecret(path: secretFile(secret + "\n")) == pair.secretKey)
        for bad in ["", "\n", secret + "\n\n", secret + "\r\n", " " + secret, secret + " ", String(secret.dropLast()),
                    secret + secret, "not a key at all"] {
            let path = try secretFile(bad)
            do {
                _ = try KeyFiles.readSecret(path: path)
                Issue.record("accepted a malformed key file")
            } catch let error as KeyFileError {
                #expect(error.path == path)
                #expect(error.description.contains("40-character Z85"))
                #expect(!error.description.contains(secret))  // never key material in an error
            }
        }
        #expect(throws: KeyFileError.self) { try KeyFiles.readPublic(path: directory.file("missing.pub")) }
        #expect(throws: KeyFileError.self) { try KeyFiles.readSecret(path: directory.path) }  // a folder
    }
}

/// The process's umask (read by setting and restoring it).
func currentUmask() -> Int {
    let mask = umask(0o022)
    umask(mask)
    return Int(mask)
}
