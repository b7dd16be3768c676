import Foundation
import ReferralClient
import ReferralProtocol

/// Made-up messages and helpers around `ReferralNode` (no real data anywhere in these tests).
enum Made {
    /// Allowed by the default policy (1/RBP §13.5) from every test node: the education and health agencies.
    /// Not a kind that moves a referral case (1/RBP §7.3, case tracking), so any number of these may share
    /// a case; the case tests send `referral.*` kinds explicitly. The made-up bodies are not followup.visit
    /// bodies: messages made here skip the sender's body check (`validatesBody: false`).
    static let kind = "followup.visit"

    /// A made-up body: a small JSON document naming the message.
    static func body(_ id: String) -> [UInt8] {
        Array("{\"note\":\"synthetic test payload\",\"ref\":\"\(id)\"}".utf8)
    }

    static func message(
        _ id: String, to: [String], caseId: String? = nil, priority: Priority = .routine
    ) -> OutgoingMessage {
        OutgoingMessage(
            id: id, to: to, kind: kind, caseId: caseId, priority: priority, body: body(id), validatesBody: false)
    }

    /// A made-up message with a body of `size` octets (a repeated synthetic pattern).
    static func largeMessage(_ id: String, to: [String], size: Int) -> OutgoingMessage {
        let pattern = Array("synthetic-\(id)-".utf8)
        var body: [UInt8] = []
        body.reserveCapacity(size + pattern.count)
        while body.count < size { body.append(contentsOf: pattern) }
        body.removeLast(body.count - size)
        return OutgoingMessage(id: id, to: to, kind: kind, body: body, validatesBody: false)
    }

    /// A raw SEND of a made-up message.
    static func send(
        _ id: String, to: [String] = ["test-b"], kind: String = Made.kind, caseId: String? = nil,
        priority: Priority = .routine, body: [UInt8]? = nil
    ) -> Send {
        Send(id: id, to: to, kind: kind, caseId: caseId, priority: priority, body: body ?? Self.body(id))
    }

    /// A new random case id (lowercase UUID).
    static func caseId() -> String { UUID().uuidString.lowercased() }
}

/// The dedupe key of a message: (sender, message id).
struct MessageKey: Hashable, Sendable, CustomStringConvertible {
    var from: String
    var id: String
    var description: String { "\(from)/\(id)" }
}

extension ReferralNode {
    /// Takes (and completes) inbox messages until `count` arrived or `timeout` passed; returns them in order.
    func receive(count: Int, timeout: Duration = .seconds(20)) async throws -> [InboxMessage] {
        var messages: [InboxMessage] = []
        let deadline = ContinuousClock.now + timeout
        while messages.count < count {
            let left = deadline - ContinuousClock.now
            guard left > .zero, let message = try await nextMessage(timeout: left) else { break }
            try await complete(message)
            messages.append(message)
        }
        return messages
    }

    /// Waits until every id has its final answer; returns the accepted seq per id (rejections are missing).
    func acceptedSeqs(_ ids: [String], timeout: Duration = .seconds(30)) async throws -> [String: Int64] {
        var seqs: [String: Int64] = [:]
        let deadline = ContinuousClock.now + timeout
        for id in ids {
            let left = max(deadline - ContinuousClock.now, .milliseconds(1))
            if case .accepted(let seq, _) = try await outcome(of: id, timeout: left) { seqs[id] = seq }
        }
        return seqs
    }
}
