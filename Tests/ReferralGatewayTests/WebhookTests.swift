import Foundation
import ReferralProtocol
import Testing

@testable import ReferralGateway

/// The webhook's signature (HMAC-SHA256 over timestamp and body), its retry schedule, and its configuration.
@Suite("Gateway: webhook")
struct GatewayWebhookTests {
    static func octets(_ hex: String) -> [UInt8] {
        var bytes: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            bytes.append(UInt8(hex[index..<next], radix: 16)!)
            index = next
        }
        return bytes
    }

    /// RFC 4231 test case 2 (a short key), and a key longer than a block (hashed first; Python's hmac agrees).
    @Test func hmacIsRFC4231() {
        #expect(
            WebhookSignature.hmac(key: Array("Jefe".utf8), message: Array("what do ya want for nothing?".utf8))
                == Self.octets("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"))
        #expect(
            WebhookSignature.hmac(key: [UInt8](repeating: UInt8(ascii: "k"), count: 100), message: Array("x".utf8))
                == Self.octets("8c1858bff6cf9cb73708b4b54f43bca6e1b8b4c3380760dc009001b265b64c6f"))
    }

    /// The vector of docs/GATEWAY.md: secret, timestamp, body → header (computed with Python's hmac module).
    @Test func theDocumentedVector() {
        let secret = Array("test-webhook-secret-0123456789".utf8)
        let body = Array(#"{"event":"message"}"#.utf8)
        let signature = WebhookSignature.sign(secret: secret, timestamp: 1_767_225_600, body: body)
        #expect(signature == "v1=20174d61b13f882e6c2ddaef79a8f1bb115ed1037a13578c009234137c763610")
        #expect(
            WebhookSignature.verify(
                secret: secret, timestamp: 1_767_225_600, body: body, signature: signature, now: 1_767_225_700))
        // Another body, secret or timestamp, or a timestamp outside the replay window: refused.
        #expect(
            !WebhookSignature.verify(
                secret: secret, timestamp: 1_767_225_600, body: body + [0x20], signature: signature,
                now: 1_767_225_600))
        #expect(
            !WebhookSignature.verify(
                secret: Array("another-secret-0123456789".utf8), timestamp: 1_767_225_600, body: body,
                signature: signature, now: 1_767_225_600))
        #expect(
            !WebhookSignature.verify(
                secret: secret, timestamp: 1_767_225_601, body: body, signature: signature, now: 1_767_225_600))
        #expect(
            !WebhookSignature.verify(
                secret: secret, timestamp: 1_767_225_600, body: body, signature: signature,
                now: 1_767_225_600 + WebhookSignature.replayWindowSeconds + 1))
    }

    @Test func backoffDoublesUpToItsMaximum() {
        let backoff = WebhookBackoff(initialMs: 1_000, maxMs: 300_000)
        #expect(
            (1...11).map { backoff.delayMs(afterFailures: $0) } == [
                1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 64_000, 128_000, 256_000, 300_000, 300_000,
            ])
        // Forever bounded: no overflow after any number of failures.
        #expect(backoff.delayMs(afterFailures: 10_000) == 300_000)
        #expect(WebhookBackoff(initialMs: 50, maxMs: 50).delayMs(afterFailures: 3) == 50)
    }

    static func parse(_ webhook: String) throws(ConfigurationError) -> GatewayConfiguration {
        try GatewayConfiguration.parse(
            Array(
                #"{"nodes":[{"id":"test-a","config":"a.json"},{"id":"test-b","config":"b.json","webhook":\#(webhook)}]}"#
                    .utf8),
            file: "/etc/referral/referral-gateway.json")
    }

    static func error(_ webhook: String) -> ConfigurationError? {
        do {
            _ = try parse(webhook)
            return nil
        } catch {
            return error
        }
    }

    @Test func theWebhookBlockWithDefaultsAndRelativeSecret() throws {
        let configuration = try Self.parse(#"{"url":"http://127.0.0.1:8080/hook","secret_file":"hook.secret"}"#)
        #expect(configuration.nodes[0].webhook == nil)
        let webhook = try #require(configuration.nodes[1].webhook)
        #expect(webhook.url == "http://127.0.0.1:8080/hook")
        #expect(webhook.secretFile == "/etc/referral/hook.secret")
        #expect(webhook.timeoutMs == 10_000)
        #expect(webhook.backoff == WebhookBackoff(initialMs: 1_000, maxMs: 300_000))
    }

    @Test func webhookErrorsNameFileEntryAndField() {
        let cases: [(String, String)] = [
            (#"{"secret_file":"s"}"#, "webhook.url"),
            (#"{"url":"ftp://example.invalid/x","secret_file":"s"}"#, "webhook.url"),
            (#"{"url":"http://127.0.0.1/x"}"#, "webhook.secret_file"),
            (#"{"url":"http://127.0.0.1/x","secret_file":"s","timeout_ms":0}"#, "webhook.timeout_ms"),
            (
                #"{"url":"http://127.0.0.1/x","secret_file":"s","backoff_initial_ms":"1s"}"#,
                "webhook.backoff_initial_ms"
            ),
            (
                #"{"url":"http://127.0.0.1/x","secret_file":"s","backoff_initial_ms":5000,"backoff_max_ms":1000}"#,
                "webhook.backoff_max_ms"
            ),
            (#"{"url":"http://127.0.0.1/x","secret_file":"s","secret":"x"}"#, "webhook.secret"),
            (#""http://127.0.0.1/x""#, "webhook"),
        ]
        for (block, field) in cases {
            let error = Self.error(block)
            #expect(error?.file == "/etc/referral/referral-gateway.json", "\(block)")
            #expect(error?.entry == "nodes[1]", "\(block)")
            #expect(error?.field == field, "\(block)")
        }
    }

    /// The secret file must be private (0600) and hold a long enough secret; its error names the file and the
    /// setting, never the secret.
    @Test func theSecretFileMustBePrivate() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("webhook-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("hook.secret").path
        try Data("test-webhook-secret-0123456789\n".utf8).write(to: URL(fileURLWithPath: path))
        let webhook = GatewayConfiguration.Webhook(url: "http://127.0.0.1:1/x", secretFile: path)
        chmod(path, 0o644)
        #expect(throws: ConfigurationError.self) { try webhook.readSecret(entry: "nodes[1]") }
        do {
            _ = try webhook.readSecret(entry: "nodes[1]")
        } catch {
            #expect(error.setting == "nodes[1].webhook.secret_file")
            #expect(error.file == path)
            #expect(!"\(error)".contains("test-webhook-secret"))
        }
        chmod(path, 0o600)
        #expect(try webhook.readSecret(entry: "nodes[1]") == Array("test-webhook-secret-0123456789".utf8))
        try Data("short\n".utf8).write(to: URL(fileURLWithPath: path))
        #expect(throws: ConfigurationError.self) { try webhook.readSecret(entry: "nodes[1]") }
    }
}
