import Foundation
import ReferralProtocol

/// Who may send which message kinds: the authorization policy the broker applies to every
/// SEND before storing anything (a forbidden SEND is REJECTED and audited).
///
/// Why it exists: the brief requires that "a node can send only the kinds of message its
/// agency may send"; a school must not be able to forge a hospital's discharge notice, and
/// nobody but the broker may send an escalation notice.
///
/// Rules are tried in order; the **first rule with a kind pattern matching the message kind
/// decides**: allowed if the sender matches one of its senders, denied otherwise. A kind that
/// no rule covers is denied (deny by default), so a new message kind must be allowed
/// explicitly. A suspended sender is always denied. See `Policy+Loading.swift` for the file
/// format and `Policy.default` for the brief's rules.
public struct Policy: Sendable {
    /// One rule: these message kinds may be sent by these senders.
    public struct Rule: Sendable, Hashable {
        /// How reasons name the rule (e.g. `"clinical-updates"`); nil names it by position.
        public var name: String?
        /// Message-kind patterns: an exact kind (`discharge.notice`), every kind below a
        /// prefix (`referral.*` matches `referral.request`, not `referral`), or `*` (any).
        public var kinds: [String]
        /// Sender patterns: `*` (any node), an agency (`health`), an agency and a node kind
        /// (`health/hospital`) or `agency/*`. Empty: nobody (kinds only the broker sends).
        public var from: [String]

        public init(name: String? = nil, kinds: [String], from: [String]) {
            self.name = name
            self.kinds = kinds
            self.from = from
        }
    }

    /// The rules, in the order they are tried.
    public let rules: [Rule]
    private let compiled: [CompiledRule]

    /// Checks `rules` (patterns, agencies); errors name `rules[i]` and the field.
    public init(rules: [Rule]) throws(ConfigurationError) {
        try self.init(rules: rules, file: nil)
    }

    init(rules: [Rule], file: String?) throws(ConfigurationError) {
        var compiled: [CompiledRule] = []
        for (index, rule) in rules.enumerated() {
            compiled.append(try CompiledRule(rule, index: index, file: file))
        }
        self.rules = rules
        self.compiled = compiled
    }

    /// Whether `sender` may send a message of `kind`.
    public func check(sender: DirectoryEntry, kind: String) -> PolicyDecision {
        guard sender.isActive else { return .denied(reason: "node \(sender.id) is suspended") }
        guard Grammar.isMessageKind(kind) else { return .denied(reason: "not a message kind") }
        guard let rule = compiled.first(where: { $0.covers(kind) }) else {
            let named = rules.flatMap(\.kinds).filter { !$0.contains("*") }
            return .denied(
                reason: NearestName.hint(
                    "no policy rule covers kind \(kind); kinds without a rule are denied", for: kind, in: named))
        }
        if rule.senders.contains(where: { $0.matches(sender) }) { return .allowed }
        if rule.senders.isEmpty {
            return .denied(
                reason: "denied by policy rule \(rule.label): no node may send \(kind); only the broker does")
        }
        return .denied(
            reason:
                "denied by policy rule \(rule.label): \(kind) may be sent only by \(rule.sendersText); \(sender.id) is \(sender.agency)/\(sender.kind)"
        )
    }
}

/// The outcome of `Policy.check`.
public enum PolicyDecision: Sendable, Hashable {
    case allowed
    /// Refused; the reason names the deciding rule (or says no rule covers the kind).
    case denied(reason: String)
}

/// A rule with its patterns parsed once, for the hot path.
struct CompiledRule: Sendable {
    enum KindPattern: Sendable {
        case any
        case exact(String)
        /// `prefix.*`: stored with the trailing dot.
        case below(String)
    }

    enum SenderPattern: Sendable {
        case any
        case agency(Agency, kind: String?)

        func matches(_ entry: DirectoryEntry) -> Bool {
            switch self {
            case .any: true
            case .agency(let agency, let kind): entry.agency == agency && (kind == nil || entry.kind == kind)
            }
        }
    }

    let label: String
    let kinds: [KindPattern]
    let senders: [SenderPattern]
    let sendersText: String

    init(_ rule: Policy.Rule, index: Int, file: String?) throws(ConfigurationError) {
        let validName = rule.name.flatMap { Grammar.isDisplayName($0) && $0.count <= 64 ? $0 : nil }
        let entry = validName.map { "rules[\(index)] (name \"\($0)\")" } ?? "rules[\(index)]"
        func fault(_ field: String, _ reason: String) -> ConfigurationError {
            ConfigurationError(file: file, entry: entry, field: field, reason: reason)
        }
        if rule.name != nil && validName == nil {
            throw fault("name", "must be 1-64 characters without control characters")
        }
        guard !rule.kinds.isEmpty else { throw fault("kinds", "must list at least one message kind pattern") }
        var kinds: [KindPattern] = []
        for (i, pattern) in rule.kinds.enumerated() {
            if pattern == "*" {
                kinds.append(.any)
            } else if pattern.hasSuffix(".*"), Grammar.isMessageKind(String(pattern.dropLast(2))) {
                kinds.append(.below(String(pattern.dropLast())))
            } else if Grammar.isMessageKind(pattern) {
                kinds.append(.exact(pattern))
            } else {
                throw fault("kinds[\(i)]", "\"\(pattern)\" is not a message kind, kind.* or *")
            }
        }
        var senders: [SenderPattern] = []
        for (i, pattern) in rule.from.enumerated() {
            if pattern == "*" {
                senders.append(.any)
                continue
            }
            let parts = pattern.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
            guard let agency = Agency(rawValue: String(parts[0])) else {
                throw fault(
                    "from[\(i)]",
                    "\"\(pattern)\" does not start with an agency (\(Agency.allCases.map(\.rawValue).joined(separator: ", ")))"
                )
            }
            if parts.count == 1 || parts[1] == "*" {
                senders.append(.agency(agency, kind: nil))
            } else if Grammar.isName(String(parts[1])) {
                senders.append(.agency(agency, kind: String(parts[1])))
            } else {
                throw fault("from[\(i)]", "\"\(pattern)\" is not *, AGENCY, AGENCY/KIND or AGENCY/*")
            }
        }
        self.label = rule.name.map { "\"\($0)\" (rules[\(index)])" } ?? "rules[\(index)]"
        self.kinds = kinds
        self.senders = senders
        self.sendersText = rule.from.joined(separator: ", ")
    }

    func covers(_ kind: String) -> Bool {
        kinds.contains { pattern in
            switch pattern {
            case .any: true
            case .exact(let exact): kind == exact
            case .below(let prefix): kind.hasPrefix(prefix) && kind.count > prefix.count
            }
        }
    }
}
