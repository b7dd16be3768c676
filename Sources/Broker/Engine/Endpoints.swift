import Foundation
import Logging
import ReferralProtocol
import ZeroMQ

/// How the poll thread's sockets are set up before its loop starts: the nodes' ROUTER (limits, liveness, CURVE
/// with the ZAP handler) and the admin ROUTER on its owner-only ipc path. Errors name the endpoint so the operator
/// knows what to fix.
enum Endpoints {
    static let zapEndpoint = "inproc://zeromq.zap.01"
    static let zapDomain = "referral-broker"

    /// What CURVE adds to each frame on the wire (the MESSAGE command's name, nonce, flags and MAC), which
    /// ZMQ_MAXMSGSIZE counts: without it, frames of the last 33 octets under the limit were dropped unanswered.
    static let curveFrameOverhead = 33

    /// Binds the nodes' ROUTER; returns the endpoint it bound (a port 0 resolved).
    static func bindNodes(
        _ router: ZMQSocket, zap: ZMQSocket?, secretKey: CurveKey?, configuration: BrokerConfiguration,
        logger: Logger
    ) throws -> String {
        try router.setLinger(milliseconds: 0)
        try router.setRouterMandatory(true)
        try router.setSendHighWaterMark(100_000)
        try router.setReceiveHighWaterMark(100_000)
        try router.setMaxMessageSize(
            Int64(configuration.frameSizeLimit + (configuration.insecurePlaintext ? 0 : curveFrameOverhead)))
        try router.setHandshakeInterval(milliseconds: Int32(clamping: configuration.handshakeTimeoutMs))
        try configureSecurity(router, zap: zap, secretKey: secretKey, logger: logger)
        // libzmq restarts these timers only when a whole frame has arrived: a large message on a slow link must
        // not look like a dead connection (1/RBP §11.1), so they allow the same silence as a session.
        let silence = Int32(
            clamping: Liveness.silenceAllowanceMs(
                heartbeatMs: Int64(configuration.heartbeatMs), liveness: Int64(configuration.liveness),
                maxHeader: configuration.limits.maxHeaderBytes, maxBody: configuration.limits.maxBodyBytes))
        try router.setHeartbeat(
            interval: Int32(clamping: configuration.heartbeatMs), timeout: silence, ttl: min(silence, 6_553_500))
        do {
            try router.bind(configuration.endpoint)
        } catch {
            throw ConfigurationError(
                field: "endpoint", reason: "cannot bind \(configuration.endpoint): \(error)")
        }
        return (try? router.lastEndpoint) ?? configuration.endpoint
    }

    /// CURVE on the nodes' endpoint, always (unless the development flag says otherwise). Must run before the
    /// ROUTER binds: libzmq authenticates through whatever ZAP handler is bound at handshake time, and fails open
    /// if none is (FIELD-NOTES).
    private static func configureSecurity(
        _ router: ZMQSocket, zap: ZMQSocket?, secretKey: CurveKey?, logger: Logger
    ) throws {
        guard let zap, let secretKey else {
            logger.warning(
                "PLAINTEXT: CURVE is off (insecure_plaintext); nodes are who their HELLO says. Development only.")
            return
        }
        try zap.setLinger(milliseconds: 0)
        try zap.bind(zapEndpoint)
        try router.setZAPDomain(zapDomain, enforce: true)
        try router.setCurveServer(secretKey: secretKey)
    }

    /// Binds the admin ROUTER on its ipc path, readable and writable by the broker's user only.
    static func bindAdmin(_ admin: ZMQSocket, configuration: BrokerConfiguration) throws {
        try admin.setLinger(milliseconds: 0)
        try admin.setRouterMandatory(true)
        let adminEndpoint = configuration.resolvedAdminEndpoint
        let adminPath = String(adminEndpoint.dropFirst("ipc://".count))
        try FileManager.default.createDirectory(
            atPath: (adminPath as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        // A stale socket file from a killed broker would make bind fail.
        try? FileManager.default.removeItem(atPath: adminPath)
        let oldMask = umask(0o077)
        defer { umask(oldMask) }
        do {
            try admin.bind(adminEndpoint)
        } catch {
            throw ConfigurationError(
                field: "admin_endpoint", reason: "cannot bind \(adminEndpoint): \(error)")
        }
        chmod(adminPath, 0o600)
    }
}

extension BrokerConfiguration {
    /// The message-size limit of 1/RBP §13.7: the most octets one frame may carry.
    var frameSizeLimit: Int { limits.maxBodyBytes + limits.maxHeaderBytes + Liveness.framingOctets }

    /// Tells whoever waits for the broker (a service manager, the tests) that it listens, and where: written
    /// whole under a temporary name, then renamed.
    func writeReadyFile(endpoint: String, http: String?) {
        guard let path = readyFile else { return }
        let ready = ReadyFile(
            endpoint: endpoint, admin: resolvedAdminEndpoint, pid: Int64(ProcessInfo.processInfo.processIdentifier),
            http: http)
        let temporary = path + ".tmp"
        FileManager.default.createFile(atPath: temporary, contents: Data(ready.bytes))
        _ = rename(temporary, path)
    }
}
