import Foundation
import ReferralBusiness
import ReferralProtocol
import Testing

@testable import ReferralClient

/// Bodies of the business kinds (protocols/business/) are checked at the sender before they are queued, unless
/// the message says not to (issue 8, item 18).
@Suite struct SenderBodyCheckTests {
    static let caseId = "3f2a9c1e-8b4d-4e6f-9a0b-1c2d3e4f5a6b"

    static func example(_ kind: String) throws -> [UInt8] {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
            "../../protocols/business/examples/\(kind).valid.json"
        ).standardizedFileURL.path
        return [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    }

    static func field(_ message: OutgoingMessage) -> String? {
        do {
            _ = try Validation.prepared(message)
            return nil
        } catch ReferralClientError.invalidMessage(let field, _) {
            return field
        } catch {
            return "\(error)"
        }
    }

    @Test func businessBodiesAreCheckedAtTheSender() throws {
        let hello = Array("hello world".utf8)
        var message = OutgoingMessage(
            id: "m-1", to: ["test-b"], kind: "referral.request", caseId: Self.caseId, priority: .urgent, body: hello)
        #expect(Self.field(message) == "body")
        // An explicit opt-out sends it as it is; other kinds are never checked.
        message.validatesBody = false
        #expect(Self.field(message) == nil)
        #expect(Self.field(OutgoingMessage(id: "m-2", to: ["test-b"], kind: "test.note", body: hello)) == nil)

        // The schema's example passes, with the case and the priority its risk colour (orange) requires.
        message = OutgoingMessage(
            id: "m-3", to: ["test-b"], kind: "referral.request", caseId: Self.caseId, priority: .urgent,
            body: try Self.example("referral.request"))
        #expect(Self.field(message) == nil)
        message.priority = .routine
        #expect(Self.field(message) == "priority")
        message.priority = .urgent
        message.caseId = nil
        #expect(Self.field(message) == "case")
    }

    @Test func problemNamesTheMemberNotTheValue() throws {
        var body = try JSONSerialization.jsonObject(with: Data(try Self.example("referral.request"))) as! [String: Any]
        body["child_ref"] = nil
        let message = OutgoingMessage(
            id: "m-1", to: ["test-b"], kind: "referral.request", caseId: Self.caseId, priority: .urgent,
            body: [UInt8](try JSONSerialization.data(withJSONObject: body)))
        #expect {
            try Validation.prepared(message)
        } throws: { error in
            guard case ReferralClientError.invalidMessage("body", let problem) = error else { return false }
            return problem.contains("child_ref") && problem.contains("referral.request")
                && !problem.contains("PX-0001")
        }
    }

    @Test func nodeRefusesAnInvalidBodyBeforeTheOutbox() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        let node = try ReferralNode(configuration: configuration(in: directory))
        await #expect(throws: ReferralClientError.self) {
            try await node.send(
                OutgoingMessage(
                    id: "m-1", to: ["test-b"], kind: "followup.visit", caseId: Self.caseId, body: Array("{}".utf8)))
        }
        #expect(try node.outbox().isEmpty)
        await node.shutdown()
    }

    /// The README's walk-through sends these files: each must be a valid body of its kind.
    @Test func readmeDemoBodiesPassTheirSchemas() throws {
        let readme = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
            "../../README.md"
        ).standardizedFileURL
        let text = try String(contentsOf: readme, encoding: .utf8)
        let pattern = try NSRegularExpression(pattern: #"echo '(\{.*\})' > /tmp/([a-z.-]+)\.json"#)
        let matches = pattern.matches(in: text, range: NSRange(text.startIndex..., in: text))
        #expect(matches.count >= 3)
        for match in matches {
            let body = String(text[Range(match.range(at: 1), in: text)!])
            let kind = String(text[Range(match.range(at: 2), in: text)!])
            #expect(throws: Never.self, "README's /tmp/\(kind).json") {
                _ = try AnyBusinessBody.decode(kind: kind, body: Array(body.utf8))
            }
        }
    }
}
