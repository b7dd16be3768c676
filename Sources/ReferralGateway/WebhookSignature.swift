import ReferralProtocol

/// The signature of a webhook POST (GATEWAY-1, docs/GATEWAY.md "Webhooks"). Pure.
///
/// `Referral-Webhook-Timestamp: T` (Unix seconds) and `Referral-Webhook-Signature: v1=H`, where H is the lowercase
/// hex of HMAC-SHA256(secret, T + "." + body) over the exact octets of the body. The timestamp is inside the MAC so
/// that a receiver can refuse an old request replayed (the replay window), as Stripe's and Slack's webhooks do.
public enum WebhookSignature {
    public static let timestampHeader = "Referral-Webhook-Timestamp"
    public static let signatureHeader = "Referral-Webhook-Signature"
    /// `message` or `receipt`.
    public static let eventHeader = "Referral-Webhook-Event"
    /// The same for every try of one event (an inbox handle `FROM:ID`, or `receipt-N`): a receiver deduplicates on it.
    public static let deliveryHeader = "Referral-Webhook-Delivery"
    /// How far from its own clock a receiver should accept a timestamp (the documented replay window).
    public static let replayWindowSeconds: Int64 = 300

    /// `v1=<hex>` for this secret, timestamp and body.
    public static func sign(secret: [UInt8], timestamp: Int64, body: [UInt8]) -> String {
        "v1=" + SHA256.hex(hmac(key: secret, message: Array("\(timestamp).".utf8) + body))
    }

    /// Whether `signature` is this body's at `timestamp` and the timestamp lies within the replay window of `now`
    /// (both Unix seconds). What a receiver does; the tests use it as the reference.
    public static func verify(
        secret: [UInt8], timestamp: Int64, body: [UInt8], signature: String, now: Int64
    ) -> Bool {
        guard abs(now - timestamp) <= replayWindowSeconds else { return false }
        let expected = Array(sign(secret: secret, timestamp: timestamp, body: body).utf8)
        let given = Array(signature.utf8)
        guard given.count == expected.count else { return false }
        var difference: UInt8 = 0
        for index in expected.indices { difference |= expected[index] ^ given[index] }
        return difference == 0
    }

    /// HMAC-SHA256 (RFC 2104) on the project's own SHA-256: H((K ^ opad) || H((K ^ ipad) || message)).
    public static func hmac(key: [UInt8], message: [UInt8]) -> [UInt8] {
        var block = key.count > 64 ? SHA256.hash(key) : key
        block += [UInt8](repeating: 0, count: 64 - block.count)
        let inner = SHA256.hash(block.map { $0 ^ 0x36 }, message)
        return SHA256.hash(block.map { $0 ^ 0x5c }, inner)
    }
}

/// When a webhook POST that failed is tried again: `initialMs` after the first failure, doubling after each
/// further one, never more than `maxMs`. Pure: the worker passes its count of failures in a row.
public struct WebhookBackoff: Sendable, Hashable {
    public var initialMs: Int64
    public var maxMs: Int64

    public init(initialMs: Int64, maxMs: Int64) {
        self.initialMs = initialMs
        self.maxMs = maxMs
    }

    /// The wait after `failures` failures in a row (1: the first), in milliseconds.
    public func delayMs(afterFailures failures: Int) -> Int64 {
        guard failures > 0 else { return 0 }
        var delay = initialMs
        for _ in 1..<failures {
            if delay >= maxMs { break }
            delay *= 2
        }
        return min(delay, maxMs)
    }
}
