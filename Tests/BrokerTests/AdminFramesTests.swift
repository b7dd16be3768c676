import BrokerMachine
import ReferralProtocol
import Testing

@testable import Broker

/// The admin endpoint's envelope, shared by the active loop and the standby (ADMIN-1 Frames): a REQ client's empty
/// delimiter is taken off the request and put back on the reply; a DEALER without one gets none.
@Suite struct AdminFramesTests {
    let signature = AdminCodec.signature
    let routingId: [UInt8] = [0, 1, 2, 3]
    let reply = AdminResponse.error(AdminError(.notActive, "made-up reason"))

    @Test func aDelimitedRequestGetsItsDelimiterBack() throws {
        let (peer, request) = try #require(AdminFrames.split([routingId, [], signature, Array("STATUS".utf8)]))
        #expect(peer.routingId == routingId)
        #expect(peer.delimited)
        #expect(request == [signature, Array("STATUS".utf8)])
        #expect(AdminFrames.reply(reply, to: peer) == [routingId, []] + AdminCodec.encode(reply))
    }

    @Test func aRequestWithoutDelimiterGetsNone() throws {
        let (peer, request) = try #require(AdminFrames.split([routingId, signature, Array("STATUS".utf8)]))
        #expect(!peer.delimited)
        #expect(request == [signature, Array("STATUS".utf8)])
        #expect(AdminFrames.reply(reply, to: peer) == [routingId] + AdminCodec.encode(reply))
        // Only the routing id: nothing to decode, still answerable (the codec says why).
        let (bare, nothing) = try #require(AdminFrames.split([routingId]))
        #expect(!bare.delimited && nothing.isEmpty)
    }

    @Test func anEmptyMessageIsDropped() {
        #expect(AdminFrames.split([]) == nil)
    }
}
