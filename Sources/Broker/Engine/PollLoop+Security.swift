import AgencyDirectory
import BrokerStore
import Foundation
import Logging
import ReferralProtocol
import ZeroMQ

/// CURVE on the nodes' endpoint, always (unless the development flag says otherwise), and
/// the ZAP handler that lets in only keys registered as active nodes in the directory.
extension PollLoop {
    static let zapEndpoint = "inproc://zeromq.zap.01"
    static let zapDomain = "referral-broker"

    /// Must run before the ROUTER binds: libzmq authenticates through whatever ZAP handler is
    /// bound at handshake time, and fails open if none is (FIELD-NOTES).
    func configureSecurity() throws {
        guard let zap, let secretKey else {
            logger.warning(
                "PLAINTEXT: CURVE is off (insecure_plaintext); nodes are who their HELLO says. Development only.")
            return
        }
        try zap.setLinger(milliseconds: 0)
        try zap.bind(Self.zapEndpoint)
        try router.setZAPDomain(Self.zapDomain, enforce: true)
        try router.setCurveServer(secretKey: secretKey)
    }

    /// Answers ZAP requests: 200 for an active registered key, 400 (and an audit record with the key's
    /// fingerprint and the peer address) otherwise. The User-Id is the key itself (Z85), not the node id:
    /// every message is then looked up in the directory in force when it arrives (`Jurisdiction.activeNode(key:)`), so a key
    /// that is re-keyed away, suspended or removed after the handshake never acts for its node again.
    func answerHandshakes(now: Int64) {
        guard let zap else { return }
        for _ in 0..<256 {
            guard let request = try? zap.receive(dontWait: true) else { return }
            let frames = request.frames
            guard frames.count >= 6 else { continue }
            let version = frames[0]
            let requestId = frames[1]
            let peer = String(decoding: frames[3], as: UTF8.self)
            let mechanism = String(decoding: frames[5], as: UTF8.self)
            var status = "400"
            var text = "CURVE required"
            var userId = ""
            if mechanism == "CURVE", frames.count >= 7, let key = CurveKey(bytes: frames[6]) {
                let fingerprint = AuditEvent.keyFingerprint(of: frames[6])
                switch jurisdiction.directory.entry(publicKey: key.z85) {
                case let entry? where entry.isActive:
                    (status, text, userId) = ("200", "OK", key.z85)
                case let entry?:
                    text = "node suspended"
                    refuseHandshake(node: entry.id, fingerprint: fingerprint, peer: peer, why: text, now: now)
                case nil:
                    text = "unknown key"
                    refuseHandshake(node: nil, fingerprint: fingerprint, peer: peer, why: text, now: now)
                }
            } else {
                refuseHandshake(node: nil, fingerprint: nil, peer: peer, why: "mechanism \(mechanism)", now: now)
            }
            let reply: [[UInt8]] = [version, requestId, Array(status.utf8), Array(text.utf8), Array(userId.utf8), []]
            do {
                _ = try zap.send(reply, dontWait: true)
            } catch {
                logger.error("ZAP reply failed", metadata: ["error": "\(error)"])
            }
        }
    }

    private func refuseHandshake(node: String?, fingerprint: String?, peer: String, why: String, now: Int64) {
        logger.warning(
            "handshake refused",
            metadata: ["reason": "\(why)", "key": "\(fingerprint ?? "-")", "peer": "\(peer)", "node": "\(node ?? "-")"])
        audit(AuditEvent(at: now, event: AuditEvent.Name.authFailed, node: node, peer: peer, keyFingerprint: fingerprint,
            detail: why))
    }

    /// Reads the broker's secret key file, refusing one that others can read (`KeyFiles`).
    static func readSecretKey(path: String) throws -> CurveKey {
        guard FileManager.default.fileExists(atPath: path) else {
            throw ConfigurationError(
                setting: "curve.secret_key_file",
                reason: "\(path) does not exist: generate the broker's key pair with `referralctl keygen --out "
                    + "PREFIX` (deploy/README.md, Security), or correct the path")
        }
        do {
            return try KeyFiles.readSecret(path: path)
        } catch let error as KeyFileError {
            throw ConfigurationError(setting: "curve.secret_key_file", reason: "\(error)")
        }
    }

    /// Queues an audit record for the next group commit.
    func audit(_ event: AuditEvent) {
        storeRequests.append(.audit(event))
    }
}
