import ReferralProtocol

/// What a deadline's item awaits, in words (ADMIN-1: `delivery:<seq>:<node>`, `answer:<node>:<kinds>`,
/// `visit:<n>:<node>`); an item it cannot read is shown raw.
enum Items {
    static func describe(_ item: String) -> String {
        let parts = item.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 3 else { return item }
        switch parts[0] {
        case "delivery": return "delivery of message \(parts[1]) to \(parts[2])"
        case "answer":
            let kinds = parts[2].split(separator: ",").map(String.init)
            if kinds.contains("crisis.acknowledged") {
                return "acknowledgment from \(parts[1])"
            }
            return "answer from \(parts[1]) (\(kinds.joined(separator: ", ")))"
        case "visit": return "follow-up visit \(parts[1]) by \(parts[2])"
        default: return item
        }
    }

    static func describe(_ deadline: AdminCase.Deadline) -> String {
        switch deadline.awaiting {
        case .delivery(let seq, let party): "delivery of message \(seq) to \(party)"
        case .answer(let kinds, let party):
            kinds.contains("crisis.acknowledged")
                ? "acknowledgment from \(party)" : "answer from \(party) (\(kinds.joined(separator: ", ")))"
        case .followUpVisit(let number, let party): "follow-up visit \(number) by \(party)"
        case nil: deadline.item
        }
    }

    /// A case link cell, or a dash.
    static func caseCell(_ caseId: String?) -> String {
        guard let caseId else { return "<span class=\"muted\">-</span>" }
        return HTML.link("\(Dashboard.base)/case/\(HTML.percentEncode(caseId))", caseId)
    }
}
