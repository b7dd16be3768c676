/// Reads the members of one decoded header, checking type, grammar and range (1/RBP §5.2, §6),
/// and turns every fault into a BAD_FIELD failure naming the member. Absent and `null` members
/// are the same; unknown members are never looked at.
struct HeaderFields {
    let members: [(key: String, value: JSONValue)]
    let command: CommandKind
    /// Once set (a SEND's valid id), failures are answered with REJECTED.
    var messageId: String?
    /// Once set (a QUERY's valid ref), failures are answered with an ERROR that carries it.
    var ref: String?

    init(members: [(key: String, value: JSONValue)], command: CommandKind) {
        self.members = members
        self.command = command
    }

    func failure(_ code: ErrorCode, field: String?, _ reason: String) -> DecodeFailure {
        var failure = DecodeFailure(
            code: code, reason: reason, field: field, command: command.name, messageId: messageId)
        failure.ref = ref
        return failure
    }

    func badField(_ name: String, _ requirement: String) -> DecodeFailure {
        failure(.badField, field: name, "\(name) must be \(requirement)")
    }

    /// The member's value, or nil when it is absent or null.
    func value(_ name: String) -> JSONValue? {
        for member in members where member.key == name {
            if case .null = member.value { return nil }
            return member.value
        }
        return nil
    }

    func required(_ name: String, _ requirement: String) throws(DecodeFailure) -> JSONValue {
        guard let value = value(name) else { throw failure(.badField, field: name, "\(name) is required") }
        return value
    }

    // MARK: - strings

    /// A required string that satisfies `isValid`; `requirement` describes the grammar for the reason.
    func string(_ name: String, _ requirement: String, _ isValid: (String) -> Bool) throws(DecodeFailure) -> String {
        guard case .string(let s) = try required(name, requirement), isValid(s) else {
            throw badField(name, requirement)
        }
        return s
    }

    func optionalString(
        _ name: String, _ requirement: String, _ isValid: (String) -> Bool
    ) throws(DecodeFailure) -> String? {
        guard let value = value(name) else { return nil }
        guard case .string(let s) = value, isValid(s) else { throw badField(name, requirement) }
        return s
    }

    func nodeId(_ name: String) throws(DecodeFailure) -> String {
        try string(name, Requirement.nodeId, Identifiers.isValidNodeId)
    }

    func messageId(_ name: String) throws(DecodeFailure) -> String {
        try string(name, Requirement.messageId, Identifiers.isValidMessageId)
    }

    func kind(_ name: String) throws(DecodeFailure) -> String {
        try string(name, Requirement.kind, Identifiers.isValidKind)
    }

    func caseId(_ name: String) throws(DecodeFailure) -> String? {
        guard let value = value(name) else { return nil }
        guard case .string(let s) = value, let normalized = Identifiers.normalizedCaseId(s) else {
            throw badField(name, Requirement.caseId)
        }
        return normalized
    }

    /// A required string that is the raw value of one of `T`'s cases.
    func oneOf<T: RawRepresentable<String>>(_ name: String, _ requirement: String) throws(DecodeFailure) -> T {
        guard case .string(let s) = try required(name, requirement), let value = T(rawValue: s) else {
            throw badField(name, requirement)
        }
        return value
    }

    func text(_ name: String, maxLength: Int) throws(DecodeFailure) -> String {
        try string(name, Requirement.text(maxLength)) { Text.isValid($0, maxLength: maxLength) }
    }

    func optionalText(_ name: String, maxLength: Int) throws(DecodeFailure) -> String? {
        try optionalString(name, Requirement.text(maxLength)) { Text.isValid($0, maxLength: maxLength) }
    }

    /// A required array of 1...maxCount distinct node ids (DELIVER's `to`).
    func nodeIdList(_ name: String, maxCount: Int) throws(DecodeFailure) -> [String] {
        try stringList(name, maxCount: maxCount, Requirement.nodeIdList(maxCount), Identifiers.isValidNodeId)
    }

    /// A required array of 1...maxCount distinct addresses (SEND's `to`); distinct means different
    /// strings (`b` and `node:b` are distinct here and resolve to one recipient at the broker).
    func addressList(_ name: String, maxCount: Int) throws(DecodeFailure) -> [String] {
        try stringList(
            name, maxCount: maxCount, Requirement.addressList(maxCount), Identifiers.isValidAddress,
            problem: { Identifiers.addressProblem($0, quoting: false) })
    }

    /// A required, non-empty array of distinct strings that satisfy `isValid`. Checked in this order
    /// (1/RBP §8): not an array or empty is BAD_FIELD; more than `maxCount` elements is TOO_LARGE;
    /// an element that is not a valid string, or repeats an earlier one, is BAD_FIELD. `problem`, when given,
    /// names the bad part of an invalid element (the division of a role address, say) without echoing it.
    func stringList(
        _ name: String, maxCount: Int, _ requirement: String, _ isValid: (String) -> Bool,
        problem: ((String) -> String?)? = nil
    ) throws(DecodeFailure) -> [String] {
        guard case .array(let elements) = try required(name, requirement), !elements.isEmpty else {
            throw badField(name, requirement)
        }
        guard elements.count <= maxCount else {
            throw failure(.tooLarge, field: name, "\(name) has more than \(maxCount) elements")
        }
        var values: [String] = []
        values.reserveCapacity(elements.count)
        for (index, element) in elements.enumerated() {
            guard case .string(let value) = element, !values.contains(value) else {
                throw badField(name, requirement)
            }
            guard isValid(value) else {
                guard let explanation = problem?(value) else { throw badField(name, requirement) }
                throw failure(.badField, field: name, "\(name)[\(index)] \(explanation)")
            }
            values.append(value)
        }
        return values
    }

    /// At most `Limits.maxHeaderMembers` members at the top level (1/RBP §5.2, §8 step 9). No
    /// `field`: the member names beyond the limit are the sender's, not the protocol's.
    func checkMemberCount() throws(DecodeFailure) {
        guard members.count <= Limits.maxHeaderMembers else {
            throw failure(.tooLarge, field: nil, "header has more than \(Limits.maxHeaderMembers) members")
        }
    }

    func errorCode(_ name: String) throws(DecodeFailure) -> ErrorCode {
        ErrorCode(rawValue: try string(name, Requirement.errorCode, Self.isErrorCode))
    }

    /// SEND's optional `followup` (1/RBP §7.3.2): only on a `discharge.notice` with a case.
    func followUp(_ name: String, kind: String, caseId: String?) throws(DecodeFailure) -> FollowUpHeader? {
        guard let value = value(name) else { return nil }
        guard kind == FollowUpHeader.kind else { throw badField(name, "absent unless kind is discharge.notice") }
        guard caseId != nil else { throw failure(.badField, field: name, "\(name) needs a case") }
        do {
            return try FollowUpHeader(value)
        } catch {
            throw failure(.badField, field: name, error.reason)
        }
    }

    // MARK: - numbers and booleans

    func integer(_ name: String, _ range: ClosedRange<Int64>) throws(DecodeFailure) -> Int64 {
        // The requirement's text only for a failure: interpolating the bounds was a tenth of a DELIVER's decoding.
        guard case .integer(let i) = try required(name, ""), range.contains(i) else {
            throw badField(name, Requirement.integer(range))
        }
        return i
    }

    func optionalInteger(_ name: String, _ range: ClosedRange<Int64>) throws(DecodeFailure) -> Int64? {
        guard let value = value(name) else { return nil }
        guard case .integer(let i) = value, range.contains(i) else { throw badField(name, Requirement.integer(range)) }
        return i
    }

    func bool(_ name: String) throws(DecodeFailure) -> Bool {
        guard case .bool(let b) = try required(name, Requirement.boolean) else {
            throw badField(name, Requirement.boolean)
        }
        return b
    }

    // MARK: - grammars not in Identifiers

    /// error-code = UCALPHA *63( UCALPHA / DIGIT / "_" )
    static func isErrorCode(_ s: String) -> Bool {
        var count = 0
        for c in s.utf8 {
            count += 1
            let upper = c >= UInt8(ascii: "A") && c <= UInt8(ascii: "Z")
            guard count <= 64, upper || (count > 1 && (Identifiers.isDigit(c) || c == UInt8(ascii: "_"))) else {
                return false
            }
        }
        return count > 0
    }

    /// A command name in ERROR: 1-32 of A-Z and "-" (any name, so that later versions' commands pass).
    static func isCommandName(_ s: String) -> Bool {
        var count = 0
        for c in s.utf8 {
            count += 1
            guard count <= 32, (c >= UInt8(ascii: "A") && c <= UInt8(ascii: "Z")) || c == UInt8(ascii: "-") else {
                return false
            }
        }
        return count > 0
    }
}

/// The ranges of 1/RBP §6.
enum ValueRange {
    /// seq and receipt numbers.
    static let sequence: ClosedRange<Int64> = 1...Limits.maxSafeInteger
    static let time: ClosedRange<Int64> = 0...Limits.maxSafeInteger
    static let count: ClosedRange<Int64> = 0...Limits.maxSafeInteger
    static let positive: ClosedRange<Int64> = 1...Limits.maxSafeInteger
}

/// Wording of the reasons: what a member must be. Grammar and limits only, never the value.
enum Requirement {
    static let nodeId = "a node id: 1-64 of a-z 0-9 . _ -, starting with a-z or 0-9"
    static let messageId = "a message id: 1-128 of A-Z a-z 0-9 . _ : @ -"
    static let sessionId = "a session id: 1-128 of A-Z a-z 0-9 . _ : @ -"
    static let storeEpoch = "a store epoch: 32 of 0-9 a-f"
    static let kind = "a kind: 1-64 characters, lowercase segments separated by dots, each starting with a-z"
    static let caseId = "a UUID in 8-4-4-4-12 hexadecimal form"
    static let priority = "one of routine, urgent, crisis"
    static let outcome = "one of delivered, dead-lettered"
    static let errorCode = "an error code: 1-64 of A-Z 0-9 _, starting with A-Z"
    static let commandName = "a command name: 1-32 of A-Z and -"
    static let boolean = "true or false"

    static func text(_ maxLength: Int) -> String {
        "a string of at most \(maxLength) characters without control characters"
    }

    static let address =
        "an address: a node id, node:NODE-ID or role:AGENCY/KIND@DIVISION, at most 128 characters"

    static func nodeIdList(_ maxCount: Int) -> String { "an array of 1 to \(maxCount) distinct node ids" }

    static func addressList(_ maxCount: Int) -> String {
        "an array of 1 to \(maxCount) distinct addresses (node-id, node:NODE-ID or role:AGENCY/KIND@DIVISION)"
    }

    static func integer(_ range: ClosedRange<Int64>) -> String {
        "an integer from \(range.lowerBound) to \(range.upperBound)"
    }
}
