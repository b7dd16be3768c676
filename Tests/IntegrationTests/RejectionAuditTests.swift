import Foundation
import ReferralClient
import ReferralProtocol
import Testing

extension DaemonSuite {
    @Suite("Every rejection is audited")
    struct RejectionAuditTests {
        /// 1/RBP §13.8: every REJECTED and every ERROR the broker answers has its audit record ("rejected", with
        /// the code, the node of the key and, for a SEND with a readable id, the message id): the codec's
        /// REJECTED (BAD_FIELD, TOO_LARGE), an ERROR to a SEND without a readable id, NOT_CONNECTED,
        /// UNKNOWN_DELIVERY, a failed HELLO.
        @Test func everyRejectedAndErrorReplyHasItsAuditRecord() async throws {
            var options = DaemonOptions()
            options.maxBodyBytes = 4_096
            try await withDaemon(options) { h in
                let a = try h.raw("test-a")
                defer { a.close() }
                // Outside a session: NOT_CONNECTED.
                try await a.send(.ack(Ack(seq: 1)))
                let outside: ErrorReply = try await a.expect("NOT_CONNECTED") { command in
                    if case .error(let error) = command { return error }
                    return nil
                }
                h.expect(outside.code == .notConnected, "an ACK outside a session got \(outside.code)")
                try await a.hello("test-a")
                let signature = Array("RBP".utf8) + [1]
                func header(_ text: String) -> [UInt8] { Array(text.utf8) }
                // REJECTED BAD_FIELD from the codec (a SEND with a valid id and a bad priority).
                try await a.send(frames: [
                    signature, Array("SEND".utf8),
                    header(
                        "{\"id\":\"test-a:audit-bad-field\",\"to\":[\"test-b\"],\"kind\":\"followup.visit\",\"priority\":\"soon\"}"
                    ),
                ])
                // REJECTED TOO_LARGE from the codec (body over max_body).
                try await a.send(.send(Made.send("test-a:audit-too-large", body: [UInt8](repeating: 1, count: 4_097))))
                // ERROR BAD_FIELD to a SEND without a readable id.
                try await a.send(frames: [
                    signature, Array("SEND".utf8),
                    header("{\"id\":\"not a message id\",\"to\":[\"test-b\"],\"kind\":\"followup.visit\",\"priority\":\"routine\"}"),
                ])
                // ERROR UNKNOWN_DELIVERY.
                try await a.send(.ack(Ack(seq: 987_654)))
                // ERROR BAD_FIELD to a HELLO (fatal).
                try await a.send(frames: [signature, Array("HELLO".utf8), header("{\"node\":\"test-a\",\"window\":0}")])
                try await a.idle(for: .milliseconds(500))
                let answers = a.queuedCommands.filter {
                    if case .error = $0 { return true }
                    if case .rejected = $0 { return true }
                    return false
                }
                h.expect(answers.count == 5, "answers: \(answers.map(\.name))")

                let wanted: [(code: String, messageId: String?)] = [
                    ("NOT_CONNECTED", nil), ("BAD_FIELD", "test-a:audit-bad-field"),
                    ("TOO_LARGE", "test-a:audit-too-large"), ("BAD_FIELD", nil), ("UNKNOWN_DELIVERY", nil),
                    ("BAD_FIELD", nil),
                ]
                var seen: [String] = []
                try await h.eventually("an audit record for each of \(wanted.map(\.code)) (seen: \(seen))") {
                    let records = try await h.auditRecords().filter {
                        $0["event"] as? String == "rejected" && $0["node"] as? String == "test-a"
                    }
                    seen = records.map { "\($0["code"] ?? "-") \($0["message_id"] ?? "-")" }
                    var rest = records[...]
                    for want in wanted {
                        guard
                            let index = rest.firstIndex(where: {
                                $0["code"] as? String == want.code && $0["message_id"] as? String == want.messageId
                            })
                        else { return false }
                        rest = rest[(index + 1)...]
                    }
                    return true
                }
            }
        }
    }
}
