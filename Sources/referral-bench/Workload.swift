import ReferralClient

/// The messages of a run: ids `<sender>:<n>`, kind `referral.request` (school -> clinic, which every policy of
/// the brief allows), routine priority, no case (so the broker may deliver them in any order and nothing
/// serialises them per case), a random body of `bodySize` bytes, sent without the sender's body check (it is not
/// a referral.request body; the broker never reads bodies, so throughput is the same).
struct Workload: Sendable {
    static let kind = "referral.request"

    let bodySize: Int
    private let body: [UInt8]

    init(bodySize: Int) {
        self.bodySize = bodySize
        var generator = SystemRandomNumberGenerator()
        body = (0..<bodySize).map { _ in UInt8.random(in: 0...255, using: &generator) }
    }

    func message(from sender: String, to recipient: String, number: Int) -> OutgoingMessage {
        // The first bytes carry the number, so that every body (and content digest) differs.
        var body = self.body
        withUnsafeBytes(of: UInt64(number).littleEndian) { bytes in
            for (index, byte) in bytes.enumerated() where index < body.count { body[index] = byte }
        }
        return OutgoingMessage(
            id: "\(sender):\(number)", to: [recipient], kind: Self.kind, priority: .routine, body: body,
            validatesBody: false)
    }

    func messages(from sender: String, to recipient: String, count: Int) -> [OutgoingMessage] {
        (0..<count).map { message(from: sender, to: recipient, number: $0) }
    }
}
