import CZeroMQ

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A CURVE key (public or secret), held in its Z85 text form.
///
/// Z85 is what goes into configuration files and what ZAP handlers compare; the 32 raw
/// bytes are what sockets are given. Printing a key shows no key material, so a secret key
/// interpolated into a log line does not leak; log `z85` deliberately for public keys.
public struct CurveKey: Hashable, Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    /// The 40-character Z85 encoding.
    public let z85: String
    private let raw: [UInt8]

    /// Accepts only a canonical 40-character Z85 string of a 32-byte key.
    public init?(z85: String) {
        let utf8 = Array(z85.utf8)
        guard utf8.count == 40, utf8.allSatisfy({ CurveKey.alphabet.contains($0) }) else { return nil }
        var raw = [UInt8](repeating: 0, count: 32)
        guard raw.withUnsafeMutableBufferPointer({ zmq_z85_decode($0.baseAddress, z85) }) != nil else {
            return nil
        }
        // Some 5-character groups exceed 32 bits and wrap; re-encoding rejects such aliases so
        // that one key has exactly one spelling (keys are compared as text).
        guard CurveKey.encode(raw) == z85 else { return nil }
        self.z85 = z85
        self.raw = raw
    }

    /// A key from its 32 raw bytes.
    public init?(bytes: [UInt8]) {
        guard bytes.count == 32, let text = CurveKey.encode(bytes) else { return nil }
        self.z85 = text
        self.raw = bytes
    }

    /// The 32 raw key bytes.
    public var bytes: [UInt8] { raw }

    public var description: String { "CurveKey(redacted)" }
    public var debugDescription: String { description }

    private static let alphabet = Set(
        "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#".utf8)

    private static func encode(_ bytes: [UInt8]) -> String? {
        var text = [CChar](repeating: 0, count: 41)
        let ok = bytes.withUnsafeBufferPointer { input in
            text.withUnsafeMutableBufferPointer { zmq_z85_encode($0.baseAddress, input.baseAddress, 32) != nil }
        }
        guard ok else { return nil }
        return ZeroMQ.text(text)
    }
}

/// CURVE key management through libzmq (backed by libsodium in Debian's build).
public enum Curve {
    /// A fresh long-term key pair (zmq_curve_keypair).
    public static func generateKeyPair() throws -> (publicKey: CurveKey, secretKey: CurveKey) {
        var publicText = [CChar](repeating: 0, count: 41)
        var secretText = [CChar](repeating: 0, count: 41)
        guard zmq_curve_keypair(&publicText, &secretText) == 0 else {
            throw ZMQError.last("zmq_curve_keypair")
        }
        guard let publicKey = CurveKey(z85: ZeroMQ.text(publicText)),
              let secretKey = CurveKey(z85: ZeroMQ.text(secretText))
        else { throw ZMQError(code: EPROTO, operation: "zmq_curve_keypair: malformed key") }
        return (publicKey, secretKey)
    }

    /// The public key of a secret key (zmq_curve_public), so configuration needs only the secret.
    public static func publicKey(forSecret secretKey: CurveKey) throws -> CurveKey {
        var publicText = [CChar](repeating: 0, count: 41)
        guard zmq_curve_public(&publicText, secretKey.z85) == 0 else {
            throw ZMQError.last("zmq_curve_public")
        }
        guard let key = CurveKey(z85: ZeroMQ.text(publicText)) else {
            throw ZMQError(code: EPROTO, operation: "zmq_curve_public: malformed key")
        }
        return key
    }

    /// Whether this libzmq was built with CURVE (zmq_has("curve")).
    public static var isAvailable: Bool { zmq_has("curve") == 1 }
}
