import ReferralBusiness

extension OutgoingMessage {
    /// The sender's check of a business body (`validatesBody`): `AnyBusinessBody.checkMessage` for a kind of
    /// protocols/business/, its error told as the header member at fault. Other kinds pass unchecked: the broker
    /// never reads bodies, so a wrong body would otherwise be found only by its recipient. Throws
    /// `invalidMessage` naming the member path, never a value.
    func checkBusinessBody() throws(ReferralClientError) {
        guard validatesBody, BusinessKind(rawValue: kind) != nil else { return }
        do throws(BusinessBodyError) {
            try AnyBusinessBody.checkMessage(kind: kind, body: body, to: to, caseId: caseId, priority: priority)
        } catch {
            switch error {
            case .missingCase: throw .invalidMessage(field: "case", problem: "is required: \(error)")
            case .priorityMismatch: throw .invalidMessage(field: "priority", problem: "does not fit the body: \(error)")
            case .clinicalSectionToNonHealthRecipient: throw .invalidMessage(field: "to", problem: "\(error)")
            default:
                throw .invalidMessage(
                    field: "body",
                    problem: "is not a valid \(kind) (protocols/business/schemas/\(kind).schema.json): \(error)")
            }
        }
    }
}
