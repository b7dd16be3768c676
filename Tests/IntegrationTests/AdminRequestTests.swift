import Foundation
import ReferralClient
import ReferralProtocol
import Testing
import ZeroMQ

extension DaemonSuite {
    @Suite("ADMIN-1 frames and arguments")
    struct AdminRequestTests {
        /// ADMIN-1 Frames: a REQ client gets its reply (the broker echoes the empty delimiter), and a DEALER that
        /// sends the delimiter gets it back, on OK and on ERROR replies alike. Replies are waited for up to 20 s:
        /// under CI's parallel load 5 s was once not enough (a missing reply fails the test either way).
        @Test func reqClientsAndDelimitedRequestsGetTheirReplies() async throws {
            try await withDaemon { h in
                let signature: [UInt8] = [0x52, 0x42, 0x41, 0x01]
                let context = try ZMQContext()
                defer { context.terminate() }

                let req = try ZMQSocket(context: context, type: .req)
                defer { req.close() }
                try req.setLinger(milliseconds: 0)
                try req.connect(h.daemon.admin)
                try req.send([signature, Array("STATUS".utf8), Array("{}".utf8)], dontWait: false)
                let reply = try await receive(req, within: .seconds(20))
                h.expect(
                    reply?.count == 3 && reply?[0] == signature && reply?[1] == Array("OK".utf8),
                    "a REQ client's STATUS got \(reply.map { "\($0.count) frames" } ?? "no reply")")

                let dealer = try ZMQSocket(context: context, type: .dealer)
                defer { dealer.close() }
                try dealer.setLinger(milliseconds: 0)
                try dealer.connect(h.daemon.admin)
                try dealer.send([[], signature, Array("STATUS".utf8), Array("{}".utf8)], dontWait: false)
                let ok = try await receive(dealer, within: .seconds(20))
                h.expect(
                    ok?.count == 4 && ok?[0] == [] && ok?[1] == signature && ok?[2] == Array("OK".utf8),
                    "a delimited STATUS got \(ok.map { $0.map { String(decoding: $0.prefix(8), as: UTF8.self) } } ?? [])")
                try dealer.send([[], signature, Array("STATUS".utf8)], dontWait: false)
                let error = try await receive(dealer, within: .seconds(20))
                h.expect(
                    error?.count == 4 && error?[0] == [] && error?[2] == Array("ERROR".utf8)
                        && String(decoding: error?[3] ?? [], as: UTF8.self).contains("BAD_REQUEST"),
                    "a delimited request without arguments got \(error.map { $0.map { String(decoding: $0.prefix(40), as: UTF8.self) } } ?? [])")
            }
        }

        /// ADMIN-1 Errors: arguments that are not a JSON object, members of the wrong type and TRAIL with both
        /// `message` and `case` are BAD_REQUEST; well-formed requests are still answered OK.
        @Test func malformedArgumentsAreBadRequest() async throws {
            try await withDaemon { h in
                let bad: [(String, String)] = [
                    ("STATUS", "[]"), ("STATUS", "not json"), ("OVERDUE", "\"x\""), ("OVERDUE", "{\"region\": 3501}"),
                    ("OVERDUE", "{\"risk\": [\"crisis\"]}"),
                    ("TRAIL", "{\"message\":{\"sender\":\"test-a\",\"id\":\"test-a:x\"},\"case\":\"\(Made.caseId())\"}"),
                    ("CASE", "{\"case\": 7}"), ("AUDIT-EXPORT", "{\"since\": \"yesterday\"}"),
                    ("AUDIT-EXPORT", "{\"since\": 0, \"limit\": -1}"), ("RELOAD", "[]"), ("AUDIT-VERIFY", "7"),
                ]
                for (command, arguments) in bad {
                    let reply = try await h.admin(command, arguments: arguments)
                    h.expect(
                        !reply.ok && reply.object["code"] as? String == "BAD_REQUEST",
                        "\(command) \(arguments) answered \(reply.ok ? "OK" : "ERROR") \(reply.object)")
                }
                for (command, arguments) in [
                    ("STATUS", "{}"), ("OVERDUE", "{\"region\":\"3501\",\"unknown\":1}"), ("AUDIT-EXPORT", "{\"since\":0}"),
                ] {
                    let reply = try await h.admin(command, arguments: arguments)
                    h.expect(reply.ok, "\(command) \(arguments) answered ERROR \(reply.object)")
                }
            }
        }
    }
}

/// The next message on `socket`, or nil after `timeout` (polled in short slices so the pool is not blocked).
private func receive(_ socket: ZMQSocket, within timeout: Duration) async throws -> [[UInt8]]? {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if let message = try socket.receive(dontWait: true) { return message.frames }
        _ = try zmqPoll([PollItem(socket: socket, events: .readable)], timeoutMilliseconds: 20)
        await Task.yield()
    }
    return nil
}
