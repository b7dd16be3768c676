import Testing
import ZeroMQ

@Suite struct MessagingTests {
    @Test func inprocPairRoundTripKeepsEmptyAndBinaryFrames() throws {
        let context = try ZMQContext()
        let a = try makeSocket(context, .pair)
        let b = try makeSocket(context, .pair)
        try a.bind("inproc://pair")
        try b.connect("inproc://pair")

        let binary: [UInt8] = [0, 255, 1, 0, 128, 10, 13]
        let large = [UInt8](repeating: 0xAB, count: 70_000)  // beyond libzmq's inline size
        let frames: [[UInt8]] = [bytes("head"), [], binary, large, []]
        #expect(try a.send(frames))

        let message = try #require(try receive(b))
        #expect(message.frames == frames)
        #expect(message.userId == nil)
        #expect(message.peerAddress == nil)

        #expect(try b.send([[]]))
        #expect(try receive(a)?.frames == [[]])
    }

    /// A message of many frames read with `keepingAtMost`: the first frames are copied, the others are
    /// released as they are read, and the next message arrives whole.
    @Test func receiveKeepsAtMostTheFramesAskedFor() throws {
        let context = try ZMQContext()
        let a = try makeSocket(context, .pair)
        let b = try makeSocket(context, .pair)
        try a.bind("inproc://many-frames")
        try b.connect("inproc://many-frames")

        let frames = (0..<1_000).map { [UInt8](repeating: UInt8($0 % 251), count: 1_000) }
        #expect(try a.send(frames))
        #expect(try a.send([bytes("next"), bytes("message")]))
        _ = try zmqPoll([PollItem(socket: b, events: .readable)], timeoutMilliseconds: 2_000)
        let first = try #require(try b.receive(keepingAtMost: 3))
        #expect(first.frames == Array(frames.prefix(3)))
        #expect(try receive(b)?.frames == [bytes("next"), bytes("message")])
    }

    @Test func dealerToRouterOverTCPRoutesTheReplyBack() throws {
        let context = try ZMQContext()
        let router = try makeSocket(context, .router)
        try router.setRouterMandatory(true)
        try router.bind("tcp://127.0.0.1:*")
        let endpoint = try router.lastEndpoint
        #expect(endpoint.hasPrefix("tcp://127.0.0.1:"))
        #expect(!endpoint.hasSuffix(":*"))

        let dealer = try makeSocket(context, .dealer)
        try dealer.setRoutingId(bytes("dealer-1"))
        try dealer.connect(endpoint)
        #expect(try dealer.send([bytes("hello"), [1, 2, 3]]))

        let request = try #require(try receive(router))
        #expect(request.frames == [bytes("dealer-1"), bytes("hello"), [1, 2, 3]])
        #expect(request.peerAddress == "127.0.0.1")
        #expect(request.userId == nil)

        #expect(try router.send([request.frames[0], bytes("world")]))
        let reply = try #require(try receive(dealer))
        #expect(reply.frames == [bytes("world")])

        // Without a poll first, libzmq takes the other ROUTER path (no prefetch): the
        // metadata must be found there too.
        try router.setReceiveTimeout(milliseconds: 2000)
        #expect(try dealer.send([bytes("again")]))
        let second = try #require(try router.receive(dontWait: false))
        #expect(second.frames == [bytes("dealer-1"), bytes("again")])
        #expect(second.peerAddress == "127.0.0.1")
    }

    /// A ROUTER's message read with `receiveRouted` and answered with `send(routedTo:)`: the routing id apart,
    /// `keepingAtMost` counting only the message's own frames, the metadata still found.
    @Test func routedReceiveAndSendKeepTheRoutingIdApart() throws {
        let context = try ZMQContext()
        let router = try makeSocket(context, .router)
        try router.setRouterMandatory(true)
        try router.bind("tcp://127.0.0.1:*")
        let dealer = try makeSocket(context, .dealer)
        try dealer.setRoutingId(bytes("dealer-2"))
        try dealer.connect(try router.lastEndpoint)
        #expect(try dealer.send([bytes("one"), bytes("two"), bytes("three")]))

        _ = try zmqPoll([PollItem(socket: router, events: .readable)], timeoutMilliseconds: 2_000)
        let (routingId, message) = try #require(try router.receiveRouted(keepingAtMost: 2))
        #expect(routingId == bytes("dealer-2"))
        #expect(message.frames == [bytes("one"), bytes("two")])
        #expect(message.peerAddress == "127.0.0.1")
        #expect(try router.receiveRouted() == nil)

        #expect(try router.send(routedTo: routingId, [bytes("reply"), [], [7]]))
        #expect(try receive(dealer)?.frames == [bytes("reply"), [], [7]])
        let error = #expect(throws: ZMQError.self) { try router.send(routedTo: bytes("nobody"), [bytes("x")]) }
        #expect(error?.isHostUnreachable == true)
    }

    @Test func routerMandatoryToUnknownPeerThrowsHostUnreachable() throws {
        let context = try ZMQContext()
        let router = try makeSocket(context, .router)
        try router.setRouterMandatory(true)
        try router.bind("tcp://127.0.0.1:*")
        let error = #expect(throws: ZMQError.self) {
            try router.send([bytes("nobody"), bytes("payload")])
        }
        #expect(error?.isHostUnreachable == true)
        #expect(error?.isAgain == false)
    }

    @Test func nonBlockingCallsReportNothingInsteadOfWaiting() throws {
        let context = try ZMQContext()
        let a = try makeSocket(context, .pair)
        try a.bind("inproc://idle")
        #expect(try a.receive() == nil)
        #expect(try a.canReceive == false)
        // No peer: a PAIR has nowhere to queue, so a non-blocking send is refused whole.
        #expect(try a.send([bytes("x"), bytes("y")]) == false)

        // Blocking calls with a timeout end the same way.
        try a.setReceiveTimeout(milliseconds: 20)
        try a.setSendTimeout(milliseconds: 20)
        #expect(try a.receive(dontWait: false) == nil)
        #expect(try a.send([bytes("x")], dontWait: false) == false)
    }

    @Test func oversizedMessageIsNotDelivered() throws {
        let context = try ZMQContext()
        let router = try makeSocket(context, .router)
        try router.setMaxMessageSize(64)
        try router.bind("tcp://127.0.0.1:*")
        let dealer = try makeSocket(context, .dealer)
        try dealer.connect(try router.lastEndpoint)

        #expect(try dealer.send([bytes("small")]))
        #expect(try receive(router)?.frames.last == bytes("small"))

        #expect(try dealer.send([[UInt8](repeating: 7, count: 200)]))
        #expect(try receive(router, within: 300) == nil)
    }

    @Test func closedSocketAndTerminatedContextFailCleanly() throws {
        let context = try ZMQContext()
        let socket = try makeSocket(context, .pair)
        socket.close()
        socket.close()  // idempotent
        #expect(throws: ZMQError.self) { try socket.bind("inproc://closed") }
        #expect(throws: ZMQError.self) { try socket.send([bytes("x")]) }

        context.terminate()
        context.terminate()  // idempotent
        let error = #expect(throws: ZMQError.self) { try ZMQSocket(context: context, type: .pair) }
        #expect(error?.isTerminated == true)
        #expect(error.map { "\($0)" }?.contains("zmq_socket") == true)
    }

    @Test func emptyMessageIsRejected() throws {
        let context = try ZMQContext()
        let socket = try makeSocket(context, .pair)
        #expect(throws: ZMQError.self) { try socket.send([]) }
    }

    @Test func pubSubDeliversSubscribedPrefixOnly() throws {
        let context = try ZMQContext()
        let pub = try makeSocket(context, .pub)
        try pub.bind("inproc://news")
        let sub = try makeSocket(context, .sub)
        try sub.setSubscribe(bytes("a."))
        try sub.connect("inproc://news")
        // inproc connects synchronously, and the subscription is processed on the next send.
        try pub.send([bytes("b.skip")])
        try pub.send([bytes("a.keep")])
        #expect(try receive(sub)?.frames == [bytes("a.keep")])
        #expect(try sub.receive() == nil)
    }

    @Test func versionIsTheLinkedLibzmq() {
        let version = ZeroMQ.version
        #expect(version.major == 4)
        #expect(version.minor >= 3)
    }
}
