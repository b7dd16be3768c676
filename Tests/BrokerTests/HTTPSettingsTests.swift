import Foundation
import ReferralProtocol
import Testing

@testable import Broker

/// The `http` member of referrald.json: loopback by default, and a listener off loopback refused without TLS and a
/// token, the error naming the missing member; the token file's checks.
@Suite struct HTTPSettingsTests {
    func settings(_ listen: String, certificate: String = "", key: String = "", token: String = "") -> HTTPSettings {
        var settings = HTTPSettings()
        (settings.listen, settings.tlsCertificateFile, settings.tlsKeyFile, settings.tokenFile) =
            (listen, certificate, key, token)
        return settings
    }

    func refusal(_ settings: HTTPSettings) -> String? {
        do {
            try settings.validate(source: "referrald.json")
            return nil
        } catch {
            return error.field
        }
    }

    @Test func theDefaultIsOnLoopbackAndValid() throws {
        let settings = HTTPSettings()
        #expect(settings.listen == "127.0.0.1:9470" && settings.isEnabled)
        #expect(refusal(settings) == nil)
        #expect(!self.settings("off").isEnabled && !self.settings("").isEnabled)
        #expect(refusal(self.settings("off")) == nil)
    }

    @Test func addressesParse() throws {
        #expect(try settings("127.0.0.1:0").address().get() == ("127.0.0.1", 0))
        #expect(try settings("[::1]:9470").address().get() == ("::1", 9470))
        #expect(try settings("*:9470").address().get() == ("0.0.0.0", 9470))
        for bad in ["127.0.0.1", "127.0.0.1:x", ":9470", "127.0.0.1:70000", "::1:9470", "[::1]9470"] {
            #expect(refusal(settings(bad)) == "http.listen", "\(bad)")
        }
    }

    @Test func loopbackIsOnly127AndLocalhostAndV6Loopback() {
        for host in ["127.0.0.1", "127.1.2.3", "localhost", "::1"] { #expect(HTTPSettings.isLoopback(host), "\(host)") }
        for host in ["0.0.0.0", "10.0.0.1", "::", "127.0.0", "127.0.0.1.5", "example.org"] {
            #expect(!HTTPSettings.isLoopback(host), "\(host)")
        }
    }

    @Test func offLoopbackEachMissingMemberIsNamed() {
        #expect(refusal(settings("0.0.0.0:9470")) == "http.tls_certificate_file")
        #expect(refusal(settings("[::]:9470", certificate: "/c.pem", key: "/k.pem")) == "http.token_file")
        #expect(refusal(settings("192.0.2.10:9470", certificate: "/c.pem")) == "http.tls_key_file")
        #expect(refusal(settings("0.0.0.0:9470", certificate: "/c.pem", key: "/k.pem", token: "/t")) == nil)
        // On loopback TLS is optional, but a certificate needs its key.
        #expect(refusal(settings("127.0.0.1:9470", key: "/k.pem")) == "http.tls_certificate_file")
    }

    @Test func theConfigurationFileReadsTheMemberAndResolvesItsPaths() throws {
        let folder = NSTemporaryDirectory() + "http-settings-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let file = folder + "/referrald.json"
        try Data(
            #"""
            {"insecure_plaintext": true,
             "http": {"listen": "0.0.0.0:9470", "tls_certificate_file": "tls/cert.pem", "tls_key_file": "tls/key.pem"}}
            """#.utf8
        ).write(to: URL(fileURLWithPath: file))
        let configuration = try BrokerConfiguration.load(file: file)
        #expect(configuration.http.tlsCertificateFile == folder + "/tls/cert.pem")
        #expect(throws: ConfigurationError.self) { try configuration.validate(source: file) }
        do {
            try configuration.validate(source: file)
        } catch {
            #expect(error.field == "http.token_file" && error.file == file)
        }
        try Data(#"{"http": {"listen": "127.0.0.1:1", "port": 2}}"#.utf8).write(to: URL(fileURLWithPath: file))
        #expect(throws: ConfigurationError.self) { try BrokerConfiguration.load(file: file) }
    }

    @Test func theTokenFileMustBePrivateAndHoldOneToken() throws {
        let folder = NSTemporaryDirectory() + "http-token-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/token"
        func write(_ text: String, mode: Int16) throws {
            try Data(text.utf8).write(to: URL(fileURLWithPath: path))
            try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
        }
        let settings = settings("127.0.0.1:0", token: path)
        try write("made-up-token-0123456789\n", mode: 0o600)
        #expect(try settings.readToken() == Array("made-up-token-0123456789".utf8))
        try write("made-up-token-0123456789\n", mode: 0o644)
        #expect(throws: ConfigurationError.self) { try settings.readToken() }
        do { _ = try settings.readToken() } catch {
            #expect(error.setting == "http.token_file" && !error.description.contains("made-up-token"))
        }
        try write("short", mode: 0o600)
        #expect(throws: ConfigurationError.self) { try settings.readToken() }
        #expect(try self.settings("127.0.0.1:0").readToken() == nil)
    }
}
