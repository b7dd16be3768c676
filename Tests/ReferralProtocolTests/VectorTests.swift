import Testing

@testable import ReferralProtocol

/// Every vector of protocols/vectors/ against the codec.
@Suite struct VectorTests {
    @Test(arguments: try Vectors.valid())
    func validVectorDecodesAndRoundTrips(_ vector: ValidVector) throws {
        let command = try Codec.decode(vector.frames, direction: vector.direction).get()
        #expect(command.name == vector.command)

        let header = try JSONReader.parse(Codec.encode(command)[2], maxDepth: 4)
        #expect(header == vector.header)

        switch command {
        case .send(let send): #expect(send.body == vector.body)
        case .deliver(let deliver): #expect(deliver.body == vector.body)
        default: #expect(vector.body == nil)
        }

        let again = try Codec.decode(Codec.encode(command), direction: vector.direction).get()
        #expect(again == command)
    }

    /// The generator writes broker headers in the canonical form of 1/RBP §5.2, independently of
    /// this codec; the encoder must produce exactly those frames.
    @Test(arguments: try Vectors.valid().filter { $0.direction == .brokerToNode })
    func brokerVectorsAreCanonical(_ vector: ValidVector) throws {
        let command = try Codec.decode(vector.frames, direction: .brokerToNode).get()
        #expect(Codec.encode(command) == vector.frames)
    }

    /// Every valid SEND carries the content digest of 1/RBP §12.7 that decides duplicate against CONFLICT,
    /// computed by the generator from the spec's text alone (and checked there against §12.7's examples).
    @Test(arguments: try Vectors.valid().filter { $0.command == "SEND" })
    func sendVectorHasItsContentDigest(_ vector: ValidVector) throws {
        let digest = try #require(vector.digest, "the SEND vector carries no digest")
        guard case .send(let send) = try Codec.decode(vector.frames, direction: .nodeToBroker).get() else {
            Issue.record("not a SEND")
            return
        }
        #expect(send.contentDigest == digest)
    }

    @Test(arguments: try Vectors.invalid().filter(\.codec))
    func invalidVectorFailsWithItsCode(_ vector: InvalidVector) throws {
        let result = Codec.decode(vector.frames, direction: .nodeToBroker)
        guard case .failure(let failure) = result else {
            Issue.record("decoded although invalid: \(result)")
            return
        }
        #expect(failure.code == vector.code)
        if let field = vector.field { #expect(failure.field == field) }
        #expect((failure.messageId != nil) == (vector.reply == "REJECTED"))
        if let id = vector.id { #expect(failure.messageId == id) }
        #expect(failure.ref == vector.ref)
        switch failure.reply {
        case .rejected(let rejected):
            #expect(vector.reply == "REJECTED")
            #expect(rejected.code == vector.code)
            #expect(rejected.retry == false)
        case .error(let error):
            #expect(vector.reply == "ERROR")
            #expect(error.code == vector.code)
            if let fatal = vector.fatal { #expect(error.fatal == fatal) }
            #expect(error.ref == vector.ref)
        default:
            Issue.record("reply is neither REJECTED nor ERROR")
        }
    }

    /// Faults of the broker's state are invisible to the codec: the frames decode.
    @Test(arguments: try Vectors.invalid().filter { !$0.codec })
    func brokerStateVectorDecodes(_ vector: InvalidVector) throws {
        let command = try Codec.decode(vector.frames, direction: .nodeToBroker).get()
        // The recipient a REJECTED names is one of the SEND's addresses, as written.
        if let recipient = vector.recipient, case .send(let send) = command {
            #expect(send.to.contains(recipient))
            #expect(Identifiers.isValidAddress(recipient))
        }
    }

    /// 1.7: a standby's answer to HELLO and an instance's word to its sessions when it stops being active; both
    /// fatal, with and without `command` (1/RBP §7.1, §9).
    @Test func notActiveVectorsDecodeAsFatalErrors() throws {
        let valid = try Vectors.valid()
        let expected: [String: String?] = ["error-not-active-fatal": "HELLO", "error-not-active-unsolicited": nil]
        for (name, command) in expected {
            let vector = try #require(valid.first { $0.name == name }, "no vector \(name)")
            guard case .error(let error) = try Codec.decode(vector.frames, direction: .brokerToNode).get() else {
                Issue.record("\(name) is not an ERROR")
                continue
            }
            #expect(error.code == .notActive)
            #expect(error.fatal)
            #expect(error.command == command)
            #expect(error.ref == nil)
            #expect(error.code.retryable)
        }
    }

    @Test func vectorsCoverEveryCommandAndCode() throws {
        let valid = try Vectors.valid()
        for kind in CommandKind.allCases {
            #expect(valid.contains { $0.command == kind.name }, "no valid vector for \(kind.name)")
        }
        let invalid = try Vectors.invalid()
        let codecCodes: [ErrorCode] = [
            .badSignature, .unsupportedVersion, .badFrames, .unknownCommand, .unexpectedCommand, .badHeader,
            .badField, .tooLarge,
        ]
        for code in codecCodes {
            #expect(invalid.contains { $0.codec && $0.code == code }, "no invalid vector for \(code)")
        }
        // UNKNOWN_NODE has none: with CURVE a HELLO naming another node is IDENTITY_MISMATCH (§7.1).
        let stateCodes: [ErrorCode] = [
            .notConnected, .identityMismatch, .unknownDelivery, .unknownReceipt, .unknownRecipient,
            .recipientSuspended, .unknownAgency, .unknownKind, .unknownDivision, .noMatchingNode, .forbidden,
            .notFound,
        ]
        for code in stateCodes {
            #expect(invalid.contains { !$0.codec && $0.code == code }, "no broker-state vector for \(code)")
        }
        #expect(invalid.contains { $0.code == .badField && $0.reply == "REJECTED" })
        #expect(invalid.contains { $0.codec && $0.code == .tooLarge && $0.reply == "REJECTED" && $0.field == "to" })
        #expect(invalid.contains { $0.codec && $0.code == .tooLarge && $0.reply == "REJECTED" && $0.field == nil })
        // Every code a state vector expects is one this version defines.
        for vector in invalid { #expect(ErrorCode.allDefined.contains(vector.code), "\(vector.name)") }
        #expect(Set(valid.map(\.name)).count == valid.count)
        #expect(Set(invalid.map(\.name)).count == invalid.count)
    }
}
