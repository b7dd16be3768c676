import Testing

@testable import ReferralProtocol

@Suite struct CodecTests {
    static let sig = Codec.signature

    func frames(_ command: String, _ header: String, _ body: [UInt8]? = nil) -> [[UInt8]] {
        var frames = [Self.sig, Array(command.utf8), Array(header.utf8)]
        if let body { frames.append(body) }
        return frames
    }

    func failure(
        _ frames: [[UInt8]], _ direction: Direction = .nodeToBroker, limits: Limits = .default
    ) -> DecodeFailure? {
        if case .failure(let failure) = Codec.decode(frames, direction: direction, limits: limits) { return failure }
        return nil
    }

    // MARK: - canonical encoding

    @Test func encodesCanonicalHeaders() {
        let send = Send(
            id: "test-a:1", to: ["test-b", "test-a"], kind: "referral.request",
            caseId: "3f2a9c1e-8b4d-4e6f-9a0b-1c2d3e4f5a6b", priority: .urgent, body: [1, 2])
        let frames = Codec.encode(.send(send))
        #expect(
            String(decoding: frames[2], as: UTF8.self)
                == #"{"id":"test-a:1","to":["test-b","test-a"],"kind":"referral.request","case":"3f2a9c1e-8b4d-4e6f-9a0b-1c2d3e4f5a6b","priority":"urgent"}"#
        )
        #expect(frames[3] == [1, 2])
        #expect(String(decoding: Codec.encode(.ack(Ack(seq: 1042)))[2], as: UTF8.self) == #"{"seq":1042}"#)
        #expect(String(decoding: Codec.encode(.bye)[2], as: UTF8.self) == "{}")
        let error = ErrorReply(code: .badField, reason: "r", fatal: false, command: "ACK", field: "seq")
        #expect(
            String(decoding: Codec.encode(.error(error))[2], as: UTF8.self)
                == #"{"code":"BAD_FIELD","reason":"r","fatal":false,"command":"ACK","field":"seq"}"#)
    }

    @Test func encoderMakesTextValid() throws {
        let long = String(repeating: "é", count: 300) + "\n"
        let nack = Nack(seq: 1, retry: true, reason: "line one\nline two\u{7F}" + long)
        guard case .nack(let decoded) = try Codec.decode(Codec.encode(.nack(nack)), direction: .nodeToBroker).get()
        else {
            Issue.record("not a NACK")
            return
        }
        #expect(decoded.reason.unicodeScalars.count == 200)
        #expect(decoded.reason.hasPrefix("line one line two "))
    }

    // MARK: - decoding rules

    @Test func caseIdIsLowercasedAndNullOptionalIsAbsent() throws {
        let header =
            #"{"id":"a","to":["b"],"kind":"k","case":"3F2A9C1E-8B4D-4E6F-9A0B-1C2D3E4F5A6B","priority":"crisis"}"#
        guard case .send(let send) = try Codec.decode(frames("SEND", header), direction: .nodeToBroker).get() else {
            Issue.record("not a SEND")
            return
        }
        #expect(send.caseId == "3f2a9c1e-8b4d-4e6f-9a0b-1c2d3e4f5a6b")
        #expect(send.body == [])

        let hello = try Codec.decode(
            frames("HELLO", #"{"node":"test-a","window":null,"agent":null}"#), direction: .nodeToBroker
        ).get()
        #expect(hello == .hello(Hello(node: "test-a", window: 64, agent: nil)))
    }

    @Test func emptyBodyFrameIsAnEmptyBody() throws {
        let header = #"{"id":"a","to":["b"],"kind":"k","priority":"routine"}"#
        let withFrame = try Codec.decode(frames("SEND", header, []), direction: .nodeToBroker).get()
        let without = try Codec.decode(frames("SEND", header), direction: .nodeToBroker).get()
        #expect(withFrame == without)
    }

    @Test(arguments: CommandKind.allCases)
    func directionIsChecked(_ kind: CommandKind) {
        let message = frames(kind.name, "{}")
        for direction in [Direction.nodeToBroker, .brokerToNode] where !kind.travels(direction) {
            let failure = failure(message, direction)
            #expect(failure?.code == .unexpectedCommand)
            #expect(failure?.command == kind.name)
        }
    }

    @Test func pingPongByeTravelBothWays() throws {
        for name in ["PING", "PONG", "BYE"] {
            for direction in [Direction.nodeToBroker, .brokerToNode] {
                _ = try Codec.decode(frames(name, "{}"), direction: direction).get()
            }
        }
    }

    @Test func signatureChecksComeFirst() {
        #expect(failure([])?.code == .badFrames)
        #expect(failure([[0x52, 0x42, 0x50, 0x02]])?.code == .unsupportedVersion)
        #expect(failure([[0x52, 0x42, 0x50]])?.code == .badSignature)
        #expect(failure([Self.sig])?.code == .badFrames)
        #expect(failure([Self.sig, Array("NOPE".utf8)])?.code == .badFrames)
    }

    @Test func limitsAreEnforced() {
        let small = Limits(maxHeaderBytes: 80, maxBodyBytes: 8, maxRecipients: 2, maxWindow: 10)
        let send = #"{"id":"test-a:9","to":["b"],"kind":"k","priority":"routine"}"#

        let body = failure(frames("SEND", send, Array(repeating: 0, count: 9)), limits: small)
        #expect(body?.code == .tooLarge)
        #expect(body?.messageId == "test-a:9")
        #expect(body?.reply == .rejected(Rejected(id: "test-a:9", code: .tooLarge, retry: false, reason: body!.reason)))
        #expect(failure(frames("SEND", send, Array(repeating: 0, count: 8)), limits: small) == nil)

        let deliver =
            #"{"seq":1,"id":"i","from":"a","to":["b"],"kind":"k","priority":"routine","accepted_at":0,"attempt":1}"#
        #expect(
            failure(frames("DELIVER", deliver, Array(repeating: 0, count: 9)), .brokerToNode, limits: small)?.code
                == .tooLarge)

        let header = #"{"pad":"\#(String(repeating: "x", count: 81 - 10))"}"#
        #expect(header.utf8.count == 81)
        #expect(failure(frames("PING", header), limits: small)?.code == .tooLarge)
        let atLimit = #"{"pad":"\#(String(repeating: "x", count: 80 - 10))"}"#
        #expect(failure(frames("PING", atLimit), limits: small) == nil)

        let three = #"{"id":"test-a:9","to":["a","b","c"],"kind":"k","priority":"routine"}"#
        let tooMany = failure(frames("SEND", three), limits: small)
        #expect(tooMany?.code == .tooLarge)
        #expect(tooMany?.field == "to")
        #expect(tooMany?.messageId == "test-a:9")
        // The count is checked before the elements: a long array of bad addresses is TOO_LARGE.
        let threeBad = #"{"id":"test-a:9","to":["A","B","C"],"kind":"k","priority":"routine"}"#
        #expect(failure(frames("SEND", threeBad), limits: small)?.code == .tooLarge)
        let deliverThree =
            #"{"seq":1,"id":"i","from":"a","to":["a","b","c"],"kind":"k","priority":"routine","accepted_at":0,"attempt":1}"#
        var roomy = small
        roomy.maxHeaderBytes = 1024
        let deliverTooMany = failure(frames("DELIVER", deliverThree), .brokerToNode, limits: roomy)
        #expect(deliverTooMany?.code == .tooLarge)
        #expect(deliverTooMany?.field == "to")

        #expect(failure(frames("HELLO", #"{"node":"a","window":10}"#), limits: small) == nil)
        #expect(failure(frames("HELLO", #"{"node":"a","window":11}"#), limits: small)?.field == "window")
    }

    /// At most 32 top-level members, unknown and null ones included; nested members do not count.
    @Test func headerMemberLimit() throws {
        func members(_ n: Int, _ first: [String] = []) -> String {
            let extra = (0..<(n - first.count)).map { #""x-\#($0)":\#($0)"# }
            return "{" + (first + extra).joined(separator: ",") + "}"
        }
        _ = try Codec.decode(frames("PING", members(32)), direction: .nodeToBroker).get()
        _ = try Codec.decode(frames("PING", members(32)), direction: .brokerToNode).get()
        let ping = failure(frames("PING", members(33)))
        #expect(ping?.code == .tooLarge)
        #expect(ping?.field == nil)
        #expect(ping?.messageId == nil)
        #expect(failure(frames("PONG", members(33)), .brokerToNode)?.code == .tooLarge)
        #expect(failure(frames("ACK", members(33, [#""seq":1"#, #""later":null"#])))?.code == .tooLarge)

        // A HELLO over the limit is a failed HELLO: fatal.
        #expect(failure(frames("HELLO", members(33, [#""node":"test-a""#])))?.isFatal == true)

        // Nested members do not count (the header size and depth limits bound them).
        let nested = "{\"seq\":1,\"n\":" + members(40) + "}"
        #expect(try Codec.decode(frames("ACK", nested), direction: .nodeToBroker).get() == .ack(Ack(seq: 1)))

        // A SEND with a valid id is REJECTED, and the limit comes before its other members (§8 step 9).
        let send = [#""id":"test-a:m""#, #""to":["B"]"#, #""kind":"k""#, #""priority":"routine""#]
        _ = try? Codec.decode(frames("SEND", members(32, send)), direction: .nodeToBroker).get()
        let rejected = failure(frames("SEND", members(33, send)))
        #expect(rejected?.code == .tooLarge)
        #expect(rejected?.messageId == "test-a:m")
        #expect(rejected?.field == nil)
        // ... but after the id: without one it is BAD_FIELD id in an ERROR.
        let noId = failure(frames("SEND", members(33, [#""id":"has space""#])))
        #expect(noId?.code == .badField)
        #expect(noId?.field == "id")
    }

    @Test func sendAddressesAndRejectedRecipient() throws {
        let header =
            #"{"id":"a:1","to":["test-b","node:test-b","role:health/*@350102","role:civil-affairs/child-director@350102100201"],"kind":"referral.request","priority":"routine"}"#
        guard case .send(let send) = try Codec.decode(frames("SEND", header), direction: .nodeToBroker).get() else {
            Issue.record("not a SEND")
            return
        }
        #expect(send.to == ["test-b", "node:test-b", "role:health/*@350102", "role:civil-affairs/child-director@350102100201"])
        #expect(try Codec.decode(Codec.encode(.send(send)), direction: .nodeToBroker).get() == .send(send))

        // The reason names the bad part of the element (not the whole address grammar), without echoing it.
        let badParts = ["role:health/*@35010200": "division", "node:Q": "node id", "role:Health/*@350102": "agency"]
        for (bad, part) in badParts {
            let h = #"{"id":"a:2","to":["test-b","\#(bad)"],"kind":"k","priority":"routine"}"#
            let f = failure(frames("SEND", h))
            #expect(f?.code == .badField, "\(bad)")
            #expect(f?.field == "to")
            #expect(f?.messageId == "a:2")
            #expect(f?.reason.hasPrefix("to[1] has \(part):") == true, "\(f?.reason ?? "")")
            #expect(f?.reason.contains(bad) == false)  // reasons never echo values
            #expect(f?.reason.contains("Health") == false)
        }
        // Distinct means distinct strings.
        let dup = #"{"id":"a:3","to":["role:health/*@350102","role:health/*@350102"],"kind":"k","priority":"routine"}"#
        #expect(failure(frames("SEND", dup))?.field == "to")

        // DELIVER's to is resolved node ids only.
        let deliver =
            #"{"seq":1,"id":"i","from":"a","to":["node:b"],"kind":"k","priority":"routine","accepted_at":0,"attempt":1}"#
        #expect(failure(frames("DELIVER", deliver), .brokerToNode)?.field == "to")

        // REJECTED names the offending address as written.
        let rejected = Rejected(
            id: "a:4", code: .noMatchingNode, retry: false, reason: "no match",
            recipient: "role:womens-federation/family-education-station@350102")
        #expect(try Codec.decode(Codec.encode(.rejected(rejected)), direction: .brokerToNode).get() == .rejected(rejected))
        let badRecipient = #"{"id":"a:5","code":"NO_MATCHING_NODE","retry":false,"reason":"","recipient":"role:x"}"#
        #expect(failure(frames("REJECTED", badRecipient), .brokerToNode)?.field == "recipient")
    }

    /// The digest is over the addresses as sent: `b` and `node:b` are different content.
    @Test func digestCoversAddressesAsSent() {
        let plain = Send(id: "a", to: ["test-b"], kind: "referral.request", priority: .routine)
        var prefixed = plain
        prefixed.to = ["node:test-b"]
        #expect(plain.contentDigest != prefixed.contentDigest)
        var roles = plain
        roles.to = ["role:health/*@350102", "test-b"]
        var reordered = plain
        reordered.to = ["test-b", "role:health/*@350102"]
        #expect(roles.contentDigest == reordered.contentDigest)
    }

    @Test func limitsFollowWelcome() {
        let welcome = Welcome(
            node: "a", session: "s", heartbeatMs: 1, liveness: 1, window: 5, ackTimeoutMs: 1, maxHeader: 100,
            maxBody: 200, maxRecipients: 3, pending: 0, receipts: 0)
        #expect(Limits(welcome) == Limits(maxHeaderBytes: 100, maxBodyBytes: 200, maxRecipients: 3, maxWindow: 5))
    }

    @Test func sendFaultsAfterTheIdAreRejections() {
        let noId = failure(frames("SEND", #"{"to":["b"],"kind":"k","priority":"routine"}"#))
        #expect(noId?.code == .badField)
        #expect(noId?.field == "id")
        #expect(noId?.messageId == nil)
        if case .error(let error) = noId?.reply {
            #expect(error.command == "SEND")
            #expect(error.fatal == false)
        } else {
            Issue.record("expected ERROR")
        }

        let badKind = failure(
            frames("SEND", #"{"id":"m-1","to":["b"],"kind":"SECRET-CHILD-NAME","priority":"routine"}"#))
        #expect(badKind?.messageId == "m-1")
        #expect(badKind?.field == "kind")
        #expect(badKind?.reason.contains("SECRET") == false)
    }

    @Test func fatalOnlyForHelloAndVersion() {
        #expect(failure(frames("HELLO", "{}"))?.isFatal == true)
        #expect(failure(frames("HELLO", "[]"))?.isFatal == true)
        #expect(failure([Self.sig, Array("HELLO".utf8)])?.isFatal == true)
        #expect(failure(frames("ACK", "{}"))?.isFatal == false)
        #expect(failure([[0x52, 0x42, 0x50, 0x09], [], []])?.isFatal == true)
        #expect(failure([[0x52, 0x42, 0x51, 0x01], [], []])?.isFatal == false)
        #expect(failure([[0x00], Array("HELLO".utf8), Array("{}".utf8)])?.isFatal == false)
    }

    @Test func unknownMembersAreIgnoredButStillChecked() throws {
        let ack = try Codec.decode(frames("ACK", #"{"seq":3,"later":{"a":[1,{"b":true}]}}"#), direction: .nodeToBroker)
            .get()
        #expect(ack == .ack(Ack(seq: 3)))
        #expect(failure(frames("ACK", #"{"seq":3,"later":{"a":[1,{"b":[]}]}}"#))?.code == .badHeader)
        #expect(failure(frames("ACK", #"{"seq":3,"later":1,"later":2}"#))?.code == .badHeader)
    }

    @Test func receiverAcceptsUnknownErrorCodesAndCommandNames() throws {
        let header = #"{"code":"SOMETHING_NEW","reason":"","fatal":false,"command":"SUBSCRIBE"}"#
        let decoded = try Codec.decode(frames("ERROR", header), direction: .brokerToNode).get()
        #expect(
            decoded == .error(ErrorReply(code: ErrorCode(rawValue: "SOMETHING_NEW"), reason: "", command: "SUBSCRIBE")))
        #expect(
            failure(frames("ERROR", #"{"code":"bad code","reason":"","fatal":false}"#), .brokerToNode)?.field == "code")
    }

    @Test func receiptOutcomeAndReason() throws {
        func header(_ outcome: String) -> String {
            #"{"receipt":1,"seq":2,"id":"m","recipient":"b","outcome":"\#(outcome)","at":3,"reason":"gone"}"#
        }
        let decoded = try Codec.decode(frames("RECEIPT", header("dead-lettered")), direction: .brokerToNode).get()
        #expect(
            decoded
                == .receipt(
                    Receipt(receipt: 1, seq: 2, id: "m", recipient: "b", outcome: .deadLettered, at: 3, reason: "gone"))
        )
        #expect(failure(frames("RECEIPT", header("lost")), .brokerToNode)?.field == "outcome")
    }

    // MARK: - small types

    @Test func priorityOrder() {
        #expect(Priority.routine < .urgent)
        #expect(Priority.urgent < .crisis)
        #expect(Priority.allCases.sorted(by: >) == [.crisis, .urgent, .routine])
    }

    @Test func errorCodesRetryable() {
        let retryable = ErrorCode.allDefined.filter(\.retryable)
        #expect(retryable == [.notConnected, .rateLimited, .storeFailed, .overloaded, .shuttingDown, .notActive])
        #expect(ErrorCode(rawValue: "FUTURE").retryable == false)
        #expect(ErrorCode.allDefined.count == 32)
        #expect(Set(ErrorCode.allDefined).count == 32)
        #expect(ErrorCode.notActive.rawValue == "NOT_ACTIVE")
        #expect(ErrorCode.allDefined.allSatisfy { HeaderFields.isErrorCode($0.rawValue) })
        let added: [ErrorCode] = [
            .identityMismatch, .nodeSuspended, .recipientSuspended, .badAddress, .unknownAgency, .unknownKind,
            .unknownDivision, .noMatchingNode, .forbidden, .rateLimited,
        ]
        #expect(
            added.map(\.rawValue) == [
                "IDENTITY_MISMATCH", "NODE_SUSPENDED", "RECIPIENT_SUSPENDED", "BAD_ADDRESS", "UNKNOWN_AGENCY",
                "UNKNOWN_KIND", "UNKNOWN_DIVISION", "NO_MATCHING_NODE", "FORBIDDEN", "RATE_LIMITED",
            ])
        #expect(ErrorCode.badSignature.description == "BAD_SIGNATURE")
    }

    @Test func commandDirections() {
        #expect(Command.ping.isNodeToBroker && Command.ping.isBrokerToNode)
        #expect(Command.ack(Ack(seq: 1)).isNodeToBroker && !Command.ack(Ack(seq: 1)).isBrokerToNode)
        #expect(Command.receiptAck(ReceiptAck(receipt: 1)).name == "RECEIPT-ACK")
    }
}
