import BrokerMachine
import ReferralProtocol

/// The admin endpoint's envelope (protocols/ADMIN-1.md Frames), for the active loop and the standby alike: the ROUTER
/// hands a request over as the peer's routing id, then an empty delimiter when the peer is a REQ client (or a DEALER
/// speaking like one), then the request's frames; the reply goes back in the same envelope.
enum AdminFrames {
    /// Who asked and the request's own frames (signature first); nil for a message without frames.
    static func split(_ message: [[UInt8]]) -> (peer: AdminPeer, request: [[UInt8]])? {
        var frames = message
        guard !frames.isEmpty else { return nil }
        let delimited = frames.count > 1 && frames[1].isEmpty
        if delimited { frames.remove(at: 1) }
        let peer = AdminPeer(routingId: frames.removeFirst(), delimited: delimited)
        return (peer, frames)
    }

    /// The frames that carry `response` back to `peer` (with its delimiter when it sent one).
    static func reply(_ response: AdminResponse, to peer: AdminPeer) -> [[UInt8]] {
        var frames = [peer.routingId] + AdminCodec.encode(response)
        if peer.delimited { frames.insert([], at: 1) }
        return frames
    }
}
