import Foundation
import ReferralClient
import Testing

@testable import ReferralGateway

/// The event log in GATEWAY-1: the server-sent event frames, where a stream resumes, and the webhook POSTs of
/// receipts and status changes (their delivery ids stable per event). Made-up data only.
@Suite("Gateway: events")
struct EventStreamTests {
    static let receipt = NodeEvent(
        number: 43, kind: .delivered, messageId: "test-a:000001", seq: 1043, recipient: "test-b", receipt: 512,
        at: 1_764_851_000_300, recordedAt: 1_764_851_000_301)
    static let rejection = NodeEvent(
        number: 44, kind: .rejected, messageId: "test-a:000002", recipient: "test-z", code: "UNKNOWN_RECIPIENT",
        reason: "no such node", field: "to", at: 1_764_851_000_400, recordedAt: 1_764_851_000_400)

    @Test func aFrameIsIdTypeAndOneLineOfJSON() {
        #expect(
            EventStream.frame(Self.receipt)
                == """
                id: 43
                event: delivered
                data: {"number":43,"type":"delivered","message_id":"test-a:000001","receipt":512,"seq":1043,\
                "recipient":"test-b","at":1764851000300}


                """)
        let frame = EventStream.frame(Self.rejection)
        #expect(frame.hasPrefix("id: 44\nevent: rejected\ndata: {"))
        #expect(frame.contains("\"code\":\"UNKNOWN_RECIPIENT\"") && frame.contains("\"field\":\"to\""))
        #expect(frame.filter { $0 == "\n" }.count == 4, "one data line")
    }

    @Test func theStreamResumesAfterTheQueryElseTheHeader() throws {
        #expect(try EventStream.position(query: nil, lastEventId: nil) == 0)
        #expect(try EventStream.position(query: nil, lastEventId: " 41 ") == 41)
        #expect(try EventStream.position(query: "7", lastEventId: "41") == 7)
        #expect(throws: Problem.self) { try EventStream.position(query: "-1", lastEventId: nil) }
        #expect(throws: Problem.self) { try EventStream.position(query: nil, lastEventId: "abc") }
    }

    @Test func webhookPostsOfTheLogAreStablePerEvent() throws {
        let (body, event, delivery) = WebhookDelivery.payload(Self.receipt)
        #expect(event == "receipt" && delivery == "receipt-512")
        let json = try JSONSerialization.jsonObject(with: Data(body)) as? [String: Any]
        let receipt = json?["receipt"] as? [String: Any]
        #expect(json?["event"] as? String == "receipt")
        #expect(receipt?["message_id"] as? String == "test-a:000001" && receipt?["seq"] as? Int == 1043)
        #expect(receipt?["outcome"] as? String == "delivered" && receipt?["receipt"] as? Int == 512)

        let (statusBody, statusEvent, statusDelivery) = WebhookDelivery.payload(Self.rejection)
        #expect(statusEvent == "status" && statusDelivery == "status-44")
        let status = (try JSONSerialization.jsonObject(with: Data(statusBody)) as? [String: Any])?["status"]
        let members = status as? [String: Any]
        #expect(members?["status"] as? String == "rejected" && members?["code"] as? String == "UNKNOWN_RECIPIENT")
        #expect(members?["message_id"] as? String == "test-a:000002")
        #expect(WebhookDelivery.payload(Self.receipt).body == body, "the same bytes each time")
    }
}
