import BrokerMachine
import BrokerStore
import Foundation
import Logging
import ReferralProtocol
import ZeroMQ

/// The ZAP handler that lets in only keys registered as active nodes in the directory (set up by `Endpoints`).
extension PollLoop {
    /// Answers ZAP requests: 200 for an active registered key, 400 (and an audit record with the key's
    /// fingerprint and the peer address) otherwise. The User-Id is the key itself (Z85), not the node id:
    /// every message is then looked up in the directory in force when it arrives (`Jurisdiction.activeNode(key:)`),
    /// so a key that is re-keyed away, suspended or removed after the handshake never acts for its node again.
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
            var key: (z85: String, fingerprint: String)?
            if mechanism == "CURVE", frames.count >= 7, let curve = CurveKey(bytes: frames[6]) {
                key = (curve.z85, AuditEvent.keyFingerprint(of: frames[6]))
            }
            let answer = machine.handshake(
                key: key?.z85, fingerprint: key?.fingerprint, mechanism: mechanism, peer: peer, now: now)
            perform(answer.actions, now: now)
            let (status, text, userId) = (answer.admitted ? "200" : "400", answer.text, answer.userId)
            let reply: [[UInt8]] = [version, requestId, Array(status.utf8), Array(text.utf8), Array(userId.utf8), []]
            do {
                _ = try zap.send(reply, dontWait: true)
            } catch {
                logger.error("ZAP reply failed", metadata: ["error": "\(error)"])
            }
        }
    }
}
