import BrokerMachine
import Foundation
import Logging
import ReferralProtocol
import StoreModel
import ZeroMQ

/// The sockets of a standby instance (docs/FAILOVER.md): the nodes' endpoint with CURVE and the same ZAP admission
/// as the active instance, and the admin endpoint, bound while this instance waits for the lease. Nodes get
/// ERROR NOT_ACTIVE (`StandbyResponder` decides) and move to their next endpoint at once; admin requests get
/// NOT_ACTIVE naming the active instance. Nothing is stored and no session is opened. Runs on the thread that
/// created it until `shouldStop` says so, then closes every socket so the active engine can bind the same
/// endpoints.
final class StandbyLoop {
    let configuration: BrokerConfiguration
    let logger: Logger
    let codecLimits: ReferralProtocol.Limits
    var responder: StandbyResponder
    let context: ZMQContext
    let router: ZMQSocket
    let admin: ZMQSocket
    let zap: ZMQSocket?
    let secretKey: CurveKey?

    init(configuration: BrokerConfiguration, jurisdiction: Jurisdiction, secretKey: CurveKey?, logger: Logger) throws {
        self.configuration = configuration
        self.logger = logger
        self.secretKey = secretKey
        codecLimits = configuration.limitsForCodec
        responder = StandbyResponder(jurisdiction: jurisdiction)
        context = try ZMQContext()
        router = try ZMQSocket(context: context, type: .router)
        admin = try ZMQSocket(context: context, type: .router)
        zap = secretKey == nil ? nil : try ZMQSocket(context: context, type: .rep)
    }

    func bind() throws {
        _ = try Endpoints.bindNodes(
            router, zap: zap, secretKey: secretKey, configuration: configuration, logger: logger)
        try Endpoints.bindAdmin(admin, configuration: configuration)
    }

    /// Answers until `shouldStop()` is true (checked at least every 100 ms), then closes the sockets.
    /// `activeInstance`: who holds the lease, as the lease last read it (named in the answers).
    func run(until shouldStop: () -> Bool, activeInstance: () -> (holder: String, endpoint: String)?) {
        var items = [PollItem(socket: router, events: .readable), PollItem(socket: admin, events: .readable)]
        if let zap { items.append(PollItem(socket: zap, events: .readable)) }
        var polled = PollSet(items)
        while !shouldStop() {
            do {
                try polled.poll(timeoutMilliseconds: 100)
            } catch {
                logger.error("standby poll failed", metadata: ["error": "\(error)"])
                break
            }
            let active = activeInstance()
            responder.activeEndpoint = active.map { $0.endpoint.isEmpty ? $0.holder : $0.endpoint }
            if polled.count > 2 && polled.revents(2).contains(.readable) { answerHandshakes() }
            if polled.revents(0).contains(.readable) { answerNodes() }
            if polled.revents(1).contains(.readable) { answerAdmin(active: active) }
        }
        router.close()
        admin.close()
        zap?.close()
        context.terminate()
    }

    private func answerHandshakes() {
        guard let zap else { return }
        for _ in 0..<256 {
            guard let request = try? zap.receive(dontWait: true) else { return }
            let frames = request.frames
            guard frames.count >= 6 else { continue }
            let mechanism = String(decoding: frames[5], as: UTF8.self)
            var key: String?
            if mechanism == "CURVE", frames.count >= 7, let curve = CurveKey(bytes: frames[6]) { key = curve.z85 }
            let admitted = responder.admits(key: key)
            let reply: [[UInt8]] = [
                frames[0], frames[1], Array((admitted ? "200" : "400").utf8),
                Array((admitted ? "OK" : "unknown or suspended key").utf8), Array((admitted ? key ?? "" : "").utf8),
                [],
            ]
            _ = try? zap.send(reply, dontWait: true)
        }
    }

    private func answerNodes() {
        for _ in 0..<2_048 {
            guard let (routingId, message) = try? router.receiveRouted(dontWait: true, keepingAtMost: 5) else {
                return
            }
            let command = Codec.decode(message.frames, direction: .nodeToBroker, limits: codecLimits)
            let arrival = Arrival(
                routingId: routingId, userId: message.userId, peer: message.peerAddress, command: command)
            guard let reply = responder.reply(to: arrival) else { continue }
            _ = try? router.send(routedTo: routingId, Codec.encode(reply), dontWait: true)
        }
    }

    private func answerAdmin(active: (holder: String, endpoint: String)?) {
        for _ in 0..<64 {
            guard let message = try? admin.receive(dontWait: true) else { return }
            guard let (peer, _) = AdminFrames.split(message.frames) else { continue }
            var reason = "this instance (\(configuration.instance)) is a standby"
            if let active, !active.holder.isEmpty {
                reason += ": ask the active instance \(active.holder)"
                if !active.endpoint.isEmpty { reason += " (\(active.endpoint))" }
            }
            let reply = AdminFrames.reply(.error(AdminError(.notActive, reason)), to: peer)
            _ = try? admin.send(reply, dontWait: true)
        }
    }
}
