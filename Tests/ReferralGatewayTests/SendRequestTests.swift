import Foundation
import Hummingbird
import ReferralProtocol
import Testing

@testable import ReferralClient
@testable import ReferralGateway

/// The decoding and checking of a send request (GATEWAY-1 SendRequest), without a node: every refusal names
/// the member, nothing is stored.
@Suite("Gateway: send request decoding")
struct GatewaySendRequestTests {
    static let caseId = "3f2a9c1e-8b4d-4e6f-9a0b-1c2d3e4f5a6b"

    /// The made-up body of protocols/business/examples/referral.request.valid.json (risk orange: urgent).
    static var referralBody: String {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent(
                "protocols/business/examples/referral.request.valid.json")
        return String(decoding: (try? Data(contentsOf: url)) ?? Data(), as: UTF8.self)
    }

    static func request(
        id: String = "test-a:000001", kind: String = "referral.request", to: String = #"["test-b"]"#,
        priority: String = "urgent", body: String? = nil, extra: String = ""
    ) -> [UInt8] {
        Array(
            #"{"id":"\#(id)","kind":"\#(kind)","to":\#(to),"case":"\#(caseId.uppercased())","priority":"\#(priority)","body":\#(body ?? referralBody)\#(extra)}"#
                .utf8)
    }

    static func problem(_ bytes: [UInt8]) -> Problem? {
        do {
            _ = try SendRequest.decode(bytes)
            return nil
        } catch {
            return error
        }
    }

    @Test func aValidReferralBecomesTheOutgoingMessage() throws {
        let message = try SendRequest.decode(Self.request()).message
        #expect(message.id == "test-a:000001")
        #expect(message.kind == "referral.request")
        #expect(message.to == ["test-b"])
        #expect(message.caseId == Self.caseId)  // lowercased
        #expect(message.priority == .urgent)
        #expect(message.validatesBody)
        let body = try JSONReader.parse(message.body, maxDepth: 32)
        #expect(body["child_ref"]?.stringValue == "PX-0001")
    }

    @Test func theSameRequestGivesTheSameOctetsWhateverItsSpacing() throws {
        let compact = try SendRequest.decode(Self.request()).message
        let spaced = Array(
            String(decoding: Self.request(), as: UTF8.self).replacingOccurrences(of: ",", with: " ,\n ").utf8)
        #expect(try SendRequest.decode(spaced).message == compact)
    }

    @Test func malformedJSONIs400() {
        let problem = Self.problem(Array(#"{"id":"x","#.utf8))
        #expect(problem?.status == 400)
        #expect(problem?.slug == "malformed-json")
    }

    @Test func anUnknownKindIs422NamingKind() {
        let problem = Self.problem(Self.request(kind: "referral.unheard-of"))
        #expect(problem?.status == 422)
        #expect(problem?.field == "kind")
        #expect(problem?.messageId == "test-a:000001")
    }

    @Test func aBodyFailingItsSchemaNamesTheMemberNotTheValue() {
        let body = Self.referralBody.replacingOccurrences(of: "\"12-13\"", with: "\"twelve\"")
        let problem = Self.problem(Self.request(body: body))
        #expect(problem?.status == 422)
        #expect(problem?.field?.hasPrefix("body") == true)
        #expect(problem.map { String(decoding: $0.json, as: UTF8.self).contains("twelve") } == false)
    }

    @Test func theHeaderMustFitTheBody() {
        #expect(Self.problem(Self.request(priority: "routine"))?.field == "priority")
        #expect(Self.problem(Self.request(to: "[]"))?.field == "to")
        #expect(Self.problem(Self.request(to: #"["test-b","test-b"]"#))?.field == "to")
        #expect(Self.problem(Self.request(to: #"["BAD ADDRESS"]"#))?.field == "to[0]")
        #expect(Self.problem(Self.request(id: "no spaces allowed"))?.field == "id")
        #expect(Self.problem(Self.request(extra: #","priorty":"urgent""#))?.field == "priorty")
        #expect(Self.problem(Self.request(body: "[1]"))?.field == "body")
        #expect(Self.problem(Array("[]".utf8))?.status == 422)
    }
}

/// The pure parts of the answers: the idempotency decision (from the outbox entry alone), problem details,
/// inbox handles and leases.
@Suite("Gateway: answers, problems, leases")
struct GatewayAnswerTests {
    static func entry(_ state: OutboxState, code: String? = nil) -> OutboxEntry {
        OutboxEntry(
            id: "test-a:000001", to: ["test-b"], kind: "referral.request", caseId: nil, priority: .urgent, state: state,
            seq: state == .accepted ? 42 : nil, duplicate: false, code: code, reason: code.map { "because \($0)" },
            field: nil, recipient: code == nil ? nil : "no-such-node", retries: 0, createdAt: 1, answeredAt: nil)
    }

    @Test func acceptedIs201QueuedIs202RejectedIsTheBrokersCode() throws {
        let accepted = try Answers.sendAnswer(Self.entry(.accepted), receipts: []).get()
        #expect(accepted.status == 201)
        let document = try JSONReader.parse(accepted.document, maxDepth: 8)
        #expect(document["status"]?.stringValue == "accepted")
        #expect(document["seq"]?.integerValue == 42)
        #expect(try Answers.sendAnswer(Self.entry(.queued), receipts: []).get().status == 202)
        // A refusal for now leaves it queued: still 202, with the last answer shown.
        let retrying = try Answers.sendAnswer(Self.entry(.queued, code: "STORE_FAILED"), receipts: []).get()
        #expect(retrying.status == 202)
        #expect(try JSONReader.parse(retrying.document, maxDepth: 8)["rejection"]?["final"]?.boolValue == false)
        guard
            case .failure(let problem) = Answers.sendAnswer(
                Self.entry(.rejected, code: "UNKNOWN_RECIPIENT"), receipts: [])
        else {
            Issue.record("a rejected entry answered success")
            return
        }
        #expect(problem.status == 422)
        #expect(problem.code == "UNKNOWN_RECIPIENT")
        #expect(problem.recipient == "no-such-node")
        guard case .failure(let forbidden) = Answers.sendAnswer(Self.entry(.rejected, code: "FORBIDDEN"), receipts: [])
        else { return }
        #expect(forbidden.status == 403)
    }

    @Test func aProblemIsRFC9457() throws {
        let problem = Problem.rejected(
            id: "test-a:1", code: "UNKNOWN_RECIPIENT", reason: "no such node", field: nil, recipient: "x")
        let document = try JSONReader.parse(problem.json, maxDepth: 4)
        #expect(document["type"]?.stringValue == "urn:referral-gateway:problem:rejected")
        #expect(document["status"]?.integerValue == 422)
        #expect(document["title"]?.stringValue != nil)
        #expect(document["detail"]?.stringValue == "no such node")
        #expect(document["code"]?.stringValue == "UNKNOWN_RECIPIENT")
        #expect(Problem.mediaType == "application/problem+json")
    }

    @Test func handlesSplitAtTheFirstColon() {
        #expect(InboxHandle.parse("test-a:test-a:000001")?.from == "test-a")
        #expect(InboxHandle.parse("test-a:test-a:000001")?.id == "test-a:000001")
        #expect(InboxHandle.parse("no-colon") == nil)
        #expect(InboxHandle.parse("Bad Node:1") == nil)
    }

    @Test func aLeasedMessageIsHandedOutAgainOnlyAfterItsLeaseUntilCompleted() {
        var leases = InboxLeases(leaseMs: 1_000)
        let message = InboxMessage(
            seq: 7, id: "test-a:000001", from: "test-a", to: ["test-b"], kind: "referral.request", caseId: nil,
            priority: .urgent, acceptedAt: 1, receivedAt: 2, body: Array("{}".utf8))
        leases.lease([message], now: 10_000)
        #expect(leases.takeExpired(now: 10_999, max: 10).isEmpty)
        #expect(leases.takeExpired(now: 11_000, max: 10) == [message])
        #expect(leases.takeExpired(now: 11_500, max: 10).isEmpty)  // leased again from 11 000
        let handle = InboxHandle.of(message)
        #expect(leases.message(handle) == message)
        leases.complete(handle)
        #expect(leases.message(handle) == nil)
        #expect(leases.wasCompleted(handle))
        #expect(leases.takeExpired(now: 99_000, max: 10).isEmpty)
    }

    /// A message whose completion is being committed when its lease runs out is not handed out again meanwhile
    /// (it would reach the agency after its completion); if that completion fails, it is handed out again.
    @Test func aMessageBeingCompletedIsNotHandedOutAgain() {
        var leases = InboxLeases(leaseMs: 1_000)
        let message = InboxMessage(
            seq: 8, id: "test-a:000002", from: "test-a", to: ["test-b"], kind: "referral.request", caseId: nil,
            priority: .urgent, acceptedAt: 1, receivedAt: 2, body: Array("{}".utf8))
        let handle = InboxHandle.of(message)
        leases.lease([message], now: 10_000)
        #expect(leases.beginCompleting(handle) == message)
        #expect(leases.takeExpired(now: 20_000, max: 10).isEmpty, "its lease ran out while it was being completed")
        leases.abandonCompleting(handle)
        #expect(leases.takeExpired(now: 20_000, max: 10) == [message], "the completion failed: handed out again")
        #expect(leases.beginCompleting(handle) == message)
        leases.complete(handle)
        #expect(leases.takeExpired(now: 99_000, max: 10).isEmpty)
        #expect(leases.beginCompleting(handle) == nil && leases.wasCompleted(handle))
    }
}
