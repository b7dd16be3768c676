import Testing

@testable import ReferralProtocol

/// The ADMIN-1 codec against protocols/vectors/admin-*.json, both ways.
@Suite struct AdminVectorTests {
    @Test(arguments: try AdminRequestVector.all())
    func requestDecodesToWhatItMeansAndEncodesBack(_ vector: AdminRequestVector) throws {
        let request = try AdminCodec.decodeRequest(vector.frames).get()
        #expect(request.command.rawValue == vector.command)
        let encoded = AdminCodec.encode(request)
        #expect(try JSONReader.parse(encoded[2], maxDepth: 8) == vector.arguments)
        if vector.canonical { #expect(encoded == vector.frames) }
        #expect(try AdminCodec.decodeRequest(encoded).get() == request)
    }

    @Test(arguments: try AdminInvalidVector.all())
    func invalidRequestGetsItsErrorReply(_ vector: AdminInvalidVector) throws {
        let result = AdminCodec.decodeRequest(vector.frames)
        guard case .failure(let error) = result else {
            Issue.record("decoded although invalid: \(result)")
            return
        }
        #expect(error == vector.error)
    }

    @Test(arguments: try AdminReplyVector.all())
    func replyDecodesAndEncodesToTheBrokersBytes(_ vector: AdminReplyVector) throws {
        let response = try AdminCodec.decodeResponse(vector.frames, to: vector.command).get()
        switch response {
        case .ok: #expect(vector.ok)
        case .error: #expect(!vector.ok)
        }
        let encoded = AdminCodec.encode(response)
        if vector.canonical { #expect(encoded == vector.frames) }
        #expect(try JSONReader.parse(encoded[2], maxDepth: 8) == vector.result)
        #expect(try AdminCodec.decodeResponse(encoded, to: vector.command).get() == response)
    }

    @Test func vectorsCoverEveryCommandAndCode() throws {
        let requests = try AdminRequestVector.all()
        let replies = try AdminReplyVector.all()
        for command in AdminCommand.allCases {
            #expect(requests.contains { $0.command == command.rawValue }, "no request vector for \(command)")
            #expect(replies.contains { $0.command == command && $0.ok }, "no reply vector for \(command)")
        }
        let codes: [AdminError.Code] = [
            .badRequest, .notFound, .unknownCommand, .badDirectory, .storeFailed, .backupRefused, .bodyPurged,
            .redriveRefused, .keyInUse, .moveRefused, .notActive,
        ]
        for code in codes {
            #expect(replies.contains { !$0.ok && $0.result["code"]?.stringValue == code.rawValue }, "\(code)")
        }
        let invalid = try AdminInvalidVector.all()
        #expect(invalid.contains { $0.error.code == .badRequest })
        #expect(invalid.contains { $0.error.code == .unknownCommand })
    }
}
