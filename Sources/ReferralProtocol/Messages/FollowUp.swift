/// The follow-up plan of a `discharge.notice`, in the SEND header's `followup` member (1/RBP §7.3.2):
/// the broker never reads bodies, so the visits it must expect travel in the header.
///
/// ```json
/// {"steps":[{"within_days":7},{"within_days":30},{"every_days":30,"for_months":6}],
///  "visits_by":["role:civil-affairs/child-director@350102100201"],
///  "owner":"role:civil-affairs/township-supervisor@350102100"}
/// ```
public struct FollowUpHeader: Sendable, Hashable {
    /// The plan's steps: 1 to `FollowUpPlan.maxSteps`, checked by `FollowUpPlan(steps:)` when read.
    public var steps: [FollowUpStep]
    /// 1 to `maxParties` distinct addresses: every node they resolve to owes each visit of the plan.
    public var visitsBy: [String]
    /// Who may end the plan with `followup.closed`, besides the sender of the notice; one node.
    public var owner: String?

    /// The only kind that may carry a plan.
    public static let kind = "discharge.notice"
    public static let maxParties = 8

    public init(steps: [FollowUpStep], visitsBy: [String], owner: String? = nil) {
        self.steps = steps
        self.visitsBy = visitsBy
        self.owner = owner
    }

    /// The canonical text of 1/RBP §12.7: members `steps`, `visits_by` (sorted by octets), `owner` (if
    /// any), in that order, compact. It is what the content digest covers and what a node's outbox keeps.
    public var canonicalJSON: [UInt8] {
        var writer = JSONWriter(reservingCapacity: 128)
        write(into: &writer, sorted: true)
        return writer.bytes
    }

    /// Writes the plan as the next value of `w`: `visits_by` sorted for the canonical text, as given
    /// in a SEND header.
    func write(into w: inout JSONWriter, sorted: Bool) {
        w.beginObject()
        w.key("steps")
        w.beginArray()
        for step in steps {
            w.beginObject()
            switch step {
            case .within(let days):
                w.key("within_days")
                w.integer(Int64(days))
            case .every(let days, let months):
                w.key("every_days")
                w.integer(Int64(days))
                w.key("for_months")
                w.integer(Int64(months))
            }
            w.endObject()
        }
        w.endArray()
        w.key("visits_by")
        w.beginArray()
        let parties = sorted ? visitsBy.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }) : visitsBy
        for address in parties { w.string(address) }
        w.endArray()
        if let owner {
            w.key("owner")
            w.string(owner)
        }
        w.endObject()
    }

    /// Reads the `followup` member's value (also the canonical text read back by `JSONReader`). The
    /// reason of a failure says which part is wrong, never the value.
    public init(_ value: JSONValue) throws(FollowUpHeaderError) {
        guard case .object(let members) = value else { throw .init("followup must be an object") }
        if members.contains(where: { !["steps", "visits_by", "owner"].contains($0.key) }) {
            throw .init("followup may have only steps, visits_by and owner")
        }
        guard case .array(let elements)? = value["steps"], !elements.isEmpty else {
            throw .init("followup.steps must be an array of 1 to \(FollowUpPlan.maxSteps) steps")
        }
        var steps: [FollowUpStep] = []
        for (index, element) in elements.enumerated() {
            guard let step = Self.step(element) else {
                throw .init(
                    "followup.steps[\(index)] must be {\"within_days\": 1-366} or"
                        + " {\"every_days\": 1-366, \"for_months\": 1-36}")
            }
            steps.append(step)
        }
        do throws(FollowUpPlanError) {
            _ = try FollowUpPlan(steps: steps)
        } catch {
            throw .init(error.reason)
        }
        guard case .array(let parties)? = value["visits_by"], (1...Self.maxParties).contains(parties.count) else {
            throw .init("followup.visits_by must be an array of 1 to \(Self.maxParties) distinct addresses")
        }
        var visitsBy: [String] = []
        for party in parties {
            guard case .string(let address) = party, Identifiers.isValidAddress(address),
                !visitsBy.contains(address)
            else { throw .init("followup.visits_by must be an array of 1 to \(Self.maxParties) distinct addresses") }
            visitsBy.append(address)
        }
        var owner: String?
        switch value["owner"] {
        case nil, .null?: owner = nil
        case .string(let address)? where Identifiers.isValidAddress(address): owner = address
        default: throw .init("followup.owner must be an address")
        }
        self.init(steps: steps, visitsBy: visitsBy, owner: owner)
    }

    private static func step(_ value: JSONValue) -> FollowUpStep? {
        guard case .object(let members) = value else { return nil }
        func number(_ key: String, _ max: Int64) -> Int? {
            guard case .integer(let n)? = value[key], (1...max).contains(n) else { return nil }
            return Int(n)
        }
        let keys = Set(members.map(\.key))
        if keys == ["within_days"], let days = number("within_days", FollowUpPlan.maxDays) {
            return .within(days: days)
        }
        if keys == ["every_days", "for_months"], let days = number("every_days", FollowUpPlan.maxDays),
            let months = number("for_months", FollowUpPlan.maxMonths)
        {
            return .every(days: days, months: months)
        }
        return nil
    }
}

/// Why a `followup` member was refused (BAD_FIELD, `field` = `followup`).
public struct FollowUpHeaderError: Error, Sendable, Hashable, CustomStringConvertible {
    public var reason: String
    init(_ reason: String) { self.reason = reason }
    public var description: String { reason }
}
