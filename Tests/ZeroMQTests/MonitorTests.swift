import Testing
import ZeroMQ

/// Socket monitors: how a node learns at once that its connection dropped, came back, or was refused.
@Suite struct MonitorTests {
    static let watched: SocketEvents = [
        .connected, .disconnected, .handshakeSucceeded, .handshakeFailedNoDetail, .handshakeFailedProtocol,
        .handshakeFailedAuth,
    ]

    /// Reads events until one of `wanted` arrives (returned) or `milliseconds` pass (nil).
    private func next(_ wanted: SocketEvents, from pair: ZMQSocket, within milliseconds: Int = 3000) throws
        -> SocketEvent?
    {
        let deadline = ContinuousClock.now + .milliseconds(milliseconds)
        while ContinuousClock.now < deadline {
            let ready = try zmqPoll([PollItem(socket: pair, events: .readable)], timeoutMilliseconds: 50)
            guard ready[0].contains(.readable), let event = try pair.receiveEvent() else { continue }
            if wanted.contains(event.event) { return event }
        }
        return nil
    }

    /// A DEALER with a monitor read through a PAIR (both linger 0).
    private func monitoredDealer(_ context: ZMQContext, name: String) throws -> (ZMQSocket, ZMQSocket) {
        let dealer = try makeSocket(context, .dealer)
        try dealer.setImmediate(true)
        try dealer.setReconnectInterval(milliseconds: 50, max: 200)
        try dealer.monitor("inproc://monitor-\(name)", events: Self.watched)
        let pair = try makeSocket(context, .pair)
        try pair.connect("inproc://monitor-\(name)")
        return (dealer, pair)
    }

    @Test func reportsHandshakeDisconnectAndReconnect() throws {
        let context = try ZMQContext()
        var router = try makeSocket(context, .router)
        try router.bind("tcp://127.0.0.1:*")
        let endpoint = try router.lastEndpoint
        let (dealer, pair) = try monitoredDealer(context, name: "reconnect")
        try dealer.connect(endpoint)

        let connected = try #require(try next(.connected, from: pair))
        #expect(connected.endpoint == endpoint)
        #expect(try next(.handshakeSucceeded, from: pair) != nil)
        #expect(try dealer.send([bytes("first")]))
        #expect(try receive(router)?.frames.last == bytes("first"))

        // The peer goes away (a restarted broker): the monitor says so at once...
        router.close()
        #expect(try next(.disconnected, from: pair) != nil)
        // ...and when a peer listens there again, libzmq reconnects and the new handshake is reported.
        router = try makeSocket(context, .router)
        try router.bind(endpoint)
        #expect(try next(.handshakeSucceeded, from: pair) != nil)
        #expect(try dealer.send([bytes("second")]))
        #expect(try receive(router)?.frames.last == bytes("second"))
        dealer.close()
        pair.close()
        router.close()
    }

    @Test func reportsARefusedCurveKey() throws {
        let context = try ZMQContext()
        let server = try Curve.generateKeyPair()
        let stranger = try Curve.generateKeyPair()
        let zap = try ZAPHandler(context: context, users: [:])
        defer { zap.stop() }
        let router = try makeSocket(context, .router)
        try router.setCurveServer(secretKey: server.secretKey)
        try router.setZAPDomain("referral", enforce: true)
        try router.bind("tcp://127.0.0.1:*")
        let (dealer, pair) = try monitoredDealer(context, name: "refused")
        try dealer.setCurveClient(
            publicKey: stranger.publicKey, secretKey: stranger.secretKey, serverKey: server.publicKey)
        try dealer.connect(try router.lastEndpoint)

        let refused = try #require(try next([.handshakeSucceeded, .handshakeFailedAuth], from: pair))
        #expect(refused.event == .handshakeFailedAuth)
        #expect(refused.value == 400)
        dealer.close()
        pair.close()
        router.close()
    }
}
