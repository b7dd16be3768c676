import Foundation
import ReferralClient
import ReferralProtocol

/// The messages of the gateway scenarios: valid business messages, the same on both paths. Message k is a
/// `referral.request` (protocols/business/schemas/referral.request.schema.json) from `send-i` to `recv-i`
/// (i = k mod pairs), risk orange hence priority `urgent`, opening a case of its own (so that no per-case order
/// serialises them), id `send-i:k`. Made-up data only: the pupil reference `PX-B<k>`, placeholder contacts.
///
/// The body is the same octets on both paths: the gateway re-encodes a request's `body` compactly in member
/// order (`JSONWriter`), which is how it is encoded here; the direct path sends them with the sender's body
/// check on (`validatesBody`), as the gateway checks them before its commit.
struct BusinessWorkload: Sendable {
    static let kind = "referral.request"
    let pairs: Int

    func sender(_ number: Int) -> String { Fleet.senderId(number % pairs) }
    func recipient(_ number: Int) -> String { Fleet.recipientId(number % pairs) }
    func id(_ number: Int) -> String { "\(sender(number)):\(number)" }

    /// The number of a message from its id (`send-i:k`).
    static func number(ofId id: String) -> Int? {
        id.lastIndex(of: ":").flatMap { Int(id[id.index(after: $0)...]) }
    }

    /// A UUID of its own for each message's case.
    func caseId(_ number: Int) -> String {
        String(format: "%08x-0000-4000-8000-%012x", 0x0b7e_6a52, number)
    }

    static func body(_ number: Int) -> [UInt8] {
        let reference = String(format: "PX-B%06d", number)
        let body: JSONValue = .object([
            ("child_ref", .string(reference)), ("age_band", .string("12-13")), ("risk", .string("orange")),
            ("reasons", .array([.string("screening-positive"), .string("low-mood")])),
            ("needed_by", .string("2026-12-18")),
            (
                "lawful_basis",
                .object([
                    ("type", .string("consent")), ("given_by", .string("guardian")),
                    ("consent_ref", .string("CONSENT-\(reference)")), ("consent_date", .string("2026-12-01")),
                ])
            ),
            (
                "referrer_contact",
                .object([
                    ("unit", .string("School psychology office (placeholder)")), ("phone", .string("0591-00000000")),
                    ("hours", .string("Mon-Fri 08:00-17:00")),
                ])
            ),
            ("requested_service", .string("assessment")), ("residence_division", .string("350102100201")),
            (
                "screening",
                .object([
                    ("instrument", .string("SCREEN-A")), ("score", .integer(17)),
                    ("screened_on", .string("2026-11-27")),
                ])
            ),
            (
                "summary",
                .string(
                    "Made-up benchmark referral: pupil reference \(reference) scored high on the term screening.")
            ),
        ])
        return JSONWriter.encode(body)
    }

    /// The body of `POST /v1/nodes/{sender}/messages` for message `number`.
    func sendRequest(_ number: Int) -> [UInt8] {
        let body = (try? JSONReader.parse(Self.body(number), maxDepth: 32)) ?? .null
        return JSONWriter.encode(
            .object([
                ("id", .string(id(number))), ("kind", .string(Self.kind)), ("to", .array([.string(recipient(number))])),
                ("case", .string(caseId(number))), ("priority", .string("urgent")), ("body", body),
            ]))
    }

    /// The same message for `ReferralNode.send` (body checked by the node library).
    func outgoing(_ number: Int) -> OutgoingMessage {
        OutgoingMessage(
            id: id(number), to: [recipient(number)], kind: Self.kind, caseId: caseId(number), priority: .urgent,
            body: Self.body(number))
    }
}
