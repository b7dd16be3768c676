/// Why the sender may share this child's data with the recipient (PIPL Art. 13, 28, 29, 31). Encoded as an
/// object with a `type` member and the members of that type:
///
/// ```json
/// {"type": "consent", "given_by": "guardian", "consent_ref": "CONSENT-PX-0001-01", "consent_date": "2026-03-02"}
/// {"type": "statutory-duty", "law": "minors-protection-law", "article": "11"}
/// {"type": "emergency", "justification": "..."}
/// ```
public enum LawfulBasis: Codable, Sendable, Hashable {
    /// Separate consent (PIPL Art. 29), recorded by the sender under `reference` on `date`. Under 14 it must
    /// come from a guardian (Art. 31); from 14 from the child, with or without a guardian.
    case consent(givenBy: ConsentGiver, reference: RecordReference, date: CalendarDate)
    /// A duty the law puts on the sender (PIPL Art. 13(3)), e.g. mandatory reporting, Minors Protection Law
    /// Art. 11. `article` is written like `11` or `13(3)`; `citation` is required for `.other` laws.
    case statutoryDuty(law: Statute, article: String, citation: String? = nil)
    /// Protecting the life or health of the child in an emergency (PIPL Art. 13(4)).
    case emergency(justification: String)

    /// The wire value of `type`.
    public var type: String {
        switch self {
        case .consent: "consent"
        case .statutoryDuty: "statutory-duty"
        case .emergency: "emergency"
        }
    }

    private enum CodingKeys: String, CodingKey {
        case type, givenBy, consentRef, consentDate, law, article, citation, justification
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        switch try container.decode(String.self, forKey: .type) {
        case "consent":
            self = .consent(
                givenBy: try container.decode(ConsentGiver.self, forKey: .givenBy),
                reference: try container.decode(RecordReference.self, forKey: .consentRef),
                date: try container.decode(CalendarDate.self, forKey: .consentDate))
        case "statutory-duty":
            let article = try container.decode(String.self, forKey: .article)
            guard Self.isArticle(article) else {
                throw BusinessBodyError.malformed(
                    path: BusinessCoding.path(decoder.codingPath + [CodingKeys.article]),
                    problem: "must be an article number like 11 or 13(3)")
            }
            self = .statutoryDuty(
                law: try container.decode(Statute.self, forKey: .law), article: article,
                citation: try container.decodeIfPresent(String.self, forKey: .citation))
        case "emergency":
            self = .emergency(justification: try container.decode(String.self, forKey: .justification))
        default:
            throw BusinessBodyError.malformed(
                path: BusinessCoding.path(decoder.codingPath + [CodingKeys.type]),
                problem: "must be consent, statutory-duty or emergency")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(type, forKey: .type)
        switch self {
        case .consent(let givenBy, let reference, let date):
            try container.encode(givenBy, forKey: .givenBy)
            try container.encode(reference, forKey: .consentRef)
            try container.encode(date, forKey: .consentDate)
        case .statutoryDuty(let law, let article, let citation):
            try container.encode(law, forKey: .law)
            try container.encode(article, forKey: .article)
            try container.encodeIfPresent(citation, forKey: .citation)
        case .emergency(let justification):
            try container.encode(justification, forKey: .justification)
        }
    }

    /// `11`, `13(3)`: 1–3 digits, optionally a paragraph of 1–2 digits in parentheses.
    static func isArticle(_ text: String) -> Bool {
        let u = Array(text.utf8)
        func digits(_ s: ArraySlice<UInt8>) -> Bool { s.allSatisfy { $0 >= 0x30 && $0 <= 0x39 } }
        guard let open = u.firstIndex(of: UInt8(ascii: "(")) else { return (1...3).contains(u.count) && digits(u[...]) }
        return (1...3).contains(open) && digits(u[0..<open]) && u.last == UInt8(ascii: ")")
            && (1...2).contains(u.count - open - 2) && digits(u[(open + 1)..<(u.count - 1)])
    }

    func validate(ageBand: AgeBand, at path: String) throws(BusinessBodyError) {
        switch self {
        case .consent(let givenBy, _, _):
            if ageBand.isUnder14 {
                try Rule.check(
                    givenBy != .child, path + "/given_by", "a child under 14 needs a guardian's consent (PIPL Art. 31)")
            } else {
                try Rule.check(
                    givenBy != .guardian, path + "/given_by",
                    "from 14 the child's own consent is needed (PIPL Art. 14, 29)")
            }
        case .statutoryDuty(let law, _, let citation):
            try Rule.check(law != .other || citation != nil, path + "/citation", "is required when the law is other")
        case .emergency:
            break
        }
    }
}

/// Who gave the consent.
public enum ConsentGiver: String, Codable, Sendable, Hashable, CaseIterable {
    case guardian
    case child
    case childAndGuardian = "child-and-guardian"
}

/// The law that puts the duty on the sender.
public enum Statute: String, Codable, Sendable, Hashable, CaseIterable {
    /// 未成年人保护法 (Art. 11: mandatory reporting).
    case minorsProtectionLaw = "minors-protection-law"
    /// 精神卫生法.
    case mentalHealthLaw = "mental-health-law"
    /// 反家庭暴力法 (Art. 14: reporting by schools, hospitals, welfare institutions).
    case antiDomesticViolenceLaw = "anti-domestic-violence-law"
    /// 预防未成年人犯罪法.
    case juvenileDelinquencyPreventionLaw = "juvenile-delinquency-prevention-law"
    /// 个人信息保护法 (Art. 13(3), 13(4)).
    case personalInformationProtectionLaw = "personal-information-protection-law"
    /// Another law or regulation, named in `citation`.
    case other
}
