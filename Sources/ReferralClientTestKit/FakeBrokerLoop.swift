import Foundation
import ReferralProtocol
import ZeroMQ

/// The fake broker's thread: binds, then polls the ROUTER, the caller's eventfd and (with CURVE) the ZAP socket
/// until `stop()`. It owns every socket it opens.
struct FakeBrokerLoop {
    var endpoint: String
    var pingEveryMs: Int?
    var curve: FakeBroker.CurveServer?
    var behavior: FakeBroker.Behavior
    var notifier: EventNotifier
    var state: FakeBroker.State

    func run() {
        defer { state.finished.signal() }
        let context: ZMQContext
        let router: ZMQSocket
        let zap: ZMQSocket?
        do {
            context = try ZMQContext()
            (router, zap) = try bind(context)
            let actual = try router.lastEndpoint
            state.bound.withLock { $0 = .success(actual) }
            state.ready.signal()
        } catch {
            state.bound.withLock { $0 = .failure(error) }
            state.ready.signal()
            return
        }
        serve(router: router, zap: zap)
        router.close()
        zap?.close()
        context.terminate()
    }

    private func bind(_ context: ZMQContext) throws -> (ZMQSocket, ZMQSocket?) {
        var zap: ZMQSocket?
        if curve != nil {
            // The ZAP handler must be bound before the CURVE server takes connections.
            let rep = try ZMQSocket(context: context, type: .rep)
            try rep.setLinger(milliseconds: 0)
            try rep.bind("inproc://zeromq.zap.01")
            zap = rep
        }
        let router = try ZMQSocket(context: context, type: .router)
        try router.setLinger(milliseconds: 0)
        if let curve {
            try router.setCurveServer(secretKey: curve.secretKey)
            try router.setZAPDomain("referral", enforce: true)
            try router.setHandshakeInterval(milliseconds: 1000)
        }
        try router.bind(endpoint)
        return (router, zap)
    }

    private func serve(router: ZMQSocket, zap: ZMQSocket?) {
        var peer: [UInt8]?
        var lastSent = Date()
        while !state.stopped.withLock({ $0 }) {
            var items = [
                PollItem(socket: router, events: .readable),
                PollItem(fileDescriptor: notifier.fileDescriptor, events: .readable),
            ]
            if let zap { items.append(PollItem(socket: zap, events: .readable)) }
            guard let events = try? zmqPoll(items, timeoutMilliseconds: 20) else { break }
            if events[1].contains(.readable) { notifier.drain() }
            if let zap, let curve, events.count > 2, events[2].contains(.readable), let request = try? zap.receive() {
                _ = try? zap.send(Self.zapReply(request.frames, users: curve.users, state: state))
            }
            while let message = try? router.receive(), message.frames.count > 1 {
                let routing = message.frames[0]
                peer = routing
                guard
                    case .success(let command) = Codec.decode(
                        Array(message.frames.dropFirst()), direction: .nodeToBroker)
                else { continue }
                state.log.withLock { $0.append(command) }
                state.userIds.withLock { $0.append(message.userId) }
                for reply in behavior(command) {
                    _ = try? router.send([routing] + Codec.encode(reply))
                    lastSent = Date()
                }
            }
            let queued = state.outbox.withLock { queued in
                defer { queued.removeAll() }
                return queued
            }
            guard let peer else { continue }
            for command in queued { _ = try? router.send([peer] + Codec.encode(command)) }
            if !queued.isEmpty { lastSent = Date() }
            // Heartbeat like the real broker: PING after `pingEveryMs` of its own silence.
            if let pingEveryMs, Date().timeIntervalSince(lastSent) * 1000 >= Double(pingEveryMs) {
                _ = try? router.send([peer] + Codec.encode(.ping))
                lastSent = Date()
            }
        }
    }

    /// A ZAP reply (RFC 27): version, request id, status, text, user id, metadata.
    private static func zapReply(_ frames: [[UInt8]], users: [CurveKey: String], state: FakeBroker.State) -> [[UInt8]] {
        // version, request id, domain, address, routing id, mechanism, credentials...
        let key = frames.count >= 7 && frames[5] == Array("CURVE".utf8) ? CurveKey(bytes: frames[6]) : nil
        if let key { state.zapKeys.withLock { $0.append(key.z85) } }
        let requestId = frames.count > 1 ? frames[1] : []
        let version = Array("1.0".utf8)
        if frames.count > 2, frames[2] == Array("referral".utf8), let user = key.flatMap({ users[$0] }) {
            return [version, requestId, Array("200".utf8), Array("OK".utf8), Array(user.utf8), []]
        }
        return [version, requestId, Array("400".utf8), Array("No access".utf8), [], []]
    }
}
