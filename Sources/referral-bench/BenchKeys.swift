import Foundation
import ReferralClient
import ZeroMQ

/// The CURVE keys of a `--curve` run: one key pair for the broker and one for every node, written as operators
/// write them (`referralctl keygen`'s `KeyFiles.write`: PREFIX.key mode 0600, PREFIX.pub) into DIR/keys. A
/// restart in the same directory reuses the pairs already there, so nodes keep the identity the directory has.
struct BenchKeys: Sendable {
    /// DIR/keys/broker.key: the broker configuration's `curve.secret_key_file`.
    let brokerSecretKeyFile: String
    let brokerPublicKey: CurveKey
    /// Every node's public key (Z85), for the directory.
    let publicKeys: [String: String]
    private let secretKeys: [String: CurveKey]

    static func prepare(folder: String, nodes: [String]) throws -> BenchKeys {
        let keys = (folder as NSString).appendingPathComponent("keys")
        func pair(_ name: String) throws -> (secretPath: String, publicKey: CurveKey, secretKey: CurveKey) {
            let prefix = (keys as NSString).appendingPathComponent(name)
            if !FileManager.default.fileExists(atPath: prefix + ".key") { _ = try KeyFiles.write(prefix: prefix) }
            return (
                prefix + ".key", try KeyFiles.readPublic(path: prefix + ".pub"),
                try KeyFiles.readSecret(path: prefix + ".key")
            )
        }
        let broker = try pair("broker")
        var publicKeys: [String: String] = [:]
        var secretKeys: [String: CurveKey] = [:]
        for node in nodes {
            let keys = try pair(node)
            publicKeys[node] = keys.publicKey.z85
            secretKeys[node] = keys.secretKey
        }
        return BenchKeys(
            brokerSecretKeyFile: broker.secretPath, brokerPublicKey: broker.publicKey, publicKeys: publicKeys,
            secretKeys: secretKeys)
    }

    /// DIR/keys/NODE.key: the node file's `secret_key_file` (a gateway reads its nodes' keys from files).
    func secretKeyFile(_ node: String) -> String {
        ((brokerSecretKeyFile as NSString).deletingLastPathComponent as NSString).appendingPathComponent("\(node).key")
    }

    /// The keys `node` connects with.
    func client(_ node: String) throws -> CurveClientKeys {
        guard let secret = secretKeys[node] else { throw BenchError("no CURVE key pair was written for \(node)") }
        return try CurveClientKeys(serverPublicKey: brokerPublicKey, secretKey: secret)
    }
}
