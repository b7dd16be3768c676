import Foundation
import ReferralBusiness
import ReferralProtocol

// The node library's doors to the bodies of ReferralBusiness: a body as a message to send, a received message's
// body decoded.
extension OutgoingMessage {
    /// A message whose body is `body` as JSON, with its business kind (`Body.kind`).
    ///
    /// Checks before anything is queued: the body's own rules (`validate()`); a case id when the kind needs
    /// one (every kind but `crisis.alert`); the priority when the body decides it (a risk colour: green and
    /// yellow routine, orange urgent, red crisis; a crisis alert: crisis; a closed plan: routine); and that a
    /// discharge notice with a clinical section is not addressed to a role of another agency than health
    /// (node ids cannot be checked here: the sender must address that copy to health services only). The
    /// 1/RBP grammars of `id`, `to` and `caseId` are checked by `ReferralNode.send(_:)`, as for any message.
    /// `followUp`: a discharge notice's plan for the broker (`DischargeNotice.followUpHeader`), checked like
    /// any message's by `ReferralNode.send(_:)`.
    public static func business<Body: BusinessBody>(
        _ body: Body, to: [String], caseId: String?, priority: Priority, id: String = UUID().uuidString,
        followUp: FollowUpHeader? = nil
    ) throws(BusinessBodyError) -> OutgoingMessage {
        let bytes = try BusinessCoding.encode(body)
        try body.checkHeader(to: to, caseId: caseId, priority: priority)
        return OutgoingMessage(
            id: id, to: to, kind: Body.kind.wireName, caseId: caseId, priority: priority, body: bytes,
            followUp: followUp)
    }
}

extension InboxMessage {
    /// The message's body decoded by its kind (strictly: see `BusinessCoding.decode`).
    public func businessBody() throws(BusinessBodyError) -> AnyBusinessBody {
        try AnyBusinessBody.decode(kind: kind, body: body)
    }
}
