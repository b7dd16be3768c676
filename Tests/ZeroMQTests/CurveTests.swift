import Testing
import ZeroMQ

@Suite struct CurveKeyTests {
    @Test func keyPairRoundTripsThroughZ85AndBytes() throws {
        #expect(Curve.isAvailable)
        let pair = try Curve.generateKeyPair()
        #expect(pair.publicKey.z85.utf8.count == 40)
        #expect(pair.publicKey.bytes.count == 32)
        #expect(pair.publicKey != pair.secretKey)
        #expect(CurveKey(z85: pair.publicKey.z85) == pair.publicKey)
        #expect(CurveKey(bytes: pair.secretKey.bytes) == pair.secretKey)
        #expect(try Curve.publicKey(forSecret: pair.secretKey) == pair.publicKey)
        #expect(try Curve.generateKeyPair().publicKey != pair.publicKey)
        #expect(!"\(pair.secretKey)".contains(pair.secretKey.z85))
    }

    @Test func malformedZ85IsRejected() throws {
        let valid = try Curve.generateKeyPair().publicKey.z85
        #expect(CurveKey(z85: String(valid.dropLast())) == nil)
        #expect(CurveKey(z85: valid + "0") == nil)
        #expect(CurveKey(z85: "\"" + valid.dropFirst()) == nil)  // not in the alphabet
        #expect(CurveKey(z85: " " + valid.dropFirst()) == nil)
        #expect(CurveKey(z85: String(repeating: "#", count: 40)) == nil)  // overflows 32 bits
        #expect(CurveKey(bytes: [1, 2, 3]) == nil)
        // The libzmq test vector (zmq_curve(7)).
        #expect(CurveKey(z85: "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7") != nil)
    }
}

/// A CURVE server fronted by a ZAP handler, and clients with various keys.
@Suite struct CurveExchangeTests {
    let context: ZMQContext
    let server: (publicKey: CurveKey, secretKey: CurveKey)
    let known: (publicKey: CurveKey, secretKey: CurveKey)

    init() throws {
        context = try ZMQContext()
        server = try Curve.generateKeyPair()
        known = try Curve.generateKeyPair()
    }

    /// A ROUTER that is a CURVE server enforcing ZAP domain "referral".
    private func curveRouter() throws -> (ZMQSocket, String) {
        let router = try makeSocket(context, .router)
        try router.setCurveServer(secretKey: server.secretKey)
        try router.setZAPDomain("referral", enforce: true)
        try router.setHandshakeInterval(milliseconds: 1000)
        try router.bind("tcp://127.0.0.1:*")
        return (router, try router.lastEndpoint)
    }

    private func curveDealer(_ keys: (publicKey: CurveKey, secretKey: CurveKey), serverKey: CurveKey,
                             endpoint: String) throws -> ZMQSocket {
        let dealer = try makeSocket(context, .dealer)
        try dealer.setCurveClient(publicKey: keys.publicKey, secretKey: keys.secretKey, serverKey: serverKey)
        try dealer.connect(endpoint)
        return dealer
    }

    @Test func encryptedExchangeCarriesTheZAPUserId() throws {
        let zap = try ZAPHandler(context: context, users: [known.publicKey: "hospital-01"])
        defer { zap.stop() }
        let (router, endpoint) = try curveRouter()
        let dealer = try curveDealer(known, serverKey: server.publicKey, endpoint: endpoint)

        #expect(try dealer.send([bytes("hello")]))
        let request = try #require(try receive(router))
        #expect(request.userId == "hospital-01")
        #expect(request.peerAddress == "127.0.0.1")
        #expect(request.frames.count == 2)
        #expect(request.frames.last == bytes("hello"))

        #expect(try router.send([request.frames[0], bytes("welcome")]))
        #expect(try receive(dealer)?.frames == [bytes("welcome")])

        // Blocking receive without a poll: libzmq's other ROUTER path.
        try router.setReceiveTimeout(milliseconds: 2000)
        #expect(try dealer.send([bytes("again")]))
        #expect(try router.receive(dontWait: false)?.userId == "hospital-01")

        let asked = try #require(zap.requests.first)
        #expect(asked.count == 7)
        #expect(asked[2] == bytes("referral"))
        #expect(asked[5] == bytes("CURVE"))
        #expect(asked[6] == known.publicKey.bytes)
    }

    @Test func clientWithTheWrongServerKeyGetsNothingThrough() throws {
        let zap = try ZAPHandler(context: context, users: [known.publicKey: "hospital-01"])
        defer { zap.stop() }
        let (router, endpoint) = try curveRouter()
        let impostor = try Curve.generateKeyPair()
        let dealer = try curveDealer(known, serverKey: impostor.publicKey, endpoint: endpoint)

        #expect(try dealer.send([bytes("hello")]))
        #expect(try receive(router, within: 300) == nil)
        #expect(zap.requests.isEmpty)  // the handshake never got as far as authentication
    }

    @Test func clientUnknownToZAPGetsNothingThrough() throws {
        let zap = try ZAPHandler(context: context, users: [known.publicKey: "hospital-01"])
        defer { zap.stop() }
        let (router, endpoint) = try curveRouter()
        let stranger = try Curve.generateKeyPair()
        let dealer = try curveDealer(stranger, serverKey: server.publicKey, endpoint: endpoint)

        #expect(try dealer.send([bytes("hello")]))
        #expect(try receive(router, within: 300) == nil)
        #expect(zap.requests.first?[6] == stranger.publicKey.bytes)
    }

    @Test func enforcedDomainWithoutZAPHandlerFailsClosed() throws {
        let (router, endpoint) = try curveRouter()
        let dealer = try curveDealer(known, serverKey: server.publicKey, endpoint: endpoint)
        #expect(try dealer.send([bytes("hello")]))
        #expect(try receive(router, within: 300) == nil)

        // The contrast that makes enforcement necessary: without it, no handler lets anyone in.
        let open = try makeSocket(context, .router)
        try open.setCurveServer(secretKey: server.secretKey)
        try open.setZAPDomain("referral", enforce: false)
        try open.bind("tcp://127.0.0.1:*")
        let stranger = try Curve.generateKeyPair()
        let other = try curveDealer(stranger, serverKey: server.publicKey, endpoint: try open.lastEndpoint)
        #expect(try other.send([bytes("hello")]))
        let message = try #require(try receive(open))
        #expect(message.userId == nil)
    }
}
