import ReferralProtocol

extension EscalationPolicies {
    /// Checks `document` and builds the policies it describes on top of the brief's defaults.
    /// The first fault found is thrown, with the path of the member to fix.
    public init(document: PolicyDocument, revision: String) throws(ConfigurationError) {
        guard document.version == 1 else {
            throw ConfigurationError(field: "version", reason: "must be 1, not \(document.version)")
        }
        var levels: [RiskLevel: EscalationPolicy] = [:]
        for level in RiskLevel.allCases { levels[level] = EscalationPolicy.builtIn(level) }
        for name in document.levels.keys.sorted() {
            guard let level = RiskLevel(rawValue: name) else {
                throw ConfigurationError(field: "levels.\(name)", reason: "not a risk level (\(Self.levelNames))")
            }
            try levels[level]!.apply(document.levels[name]!, at: "levels.\(name)")
        }
        var kinds: [String: [RiskLevel: EscalationPolicy]] = [:]
        for kind in document.kinds.keys.sorted() {
            let path = "kinds[\"\(kind)\"]"
            guard Identifiers.isValidKind(kind) else {
                throw ConfigurationError(field: path, reason: "not a message kind (lowercase segments separated by dots)")
            }
            let entries = document.kinds[kind]!
            for name in entries.keys where name != "*" && RiskLevel(rawValue: name) == nil {
                throw ConfigurationError(field: "\(path).\(name)", reason: "not a risk level (\(Self.levelNames)) or *")
            }
            var perLevel = levels
            for level in RiskLevel.allCases {
                if let all = entries["*"] { try perLevel[level]!.apply(all, at: "\(path).*") }
                if let one = entries[level.rawValue] { try perLevel[level]!.apply(one, at: "\(path).\(level)") }
            }
            kinds[kind] = perLevel
        }
        self.init(revision: revision, levels: levels, kinds: kinds)
    }

    private static var levelNames: String { RiskLevel.allCases.map(\.rawValue).joined(separator: ", ") }
}

extension EscalationPolicy {
    /// Replaces the members `entry` sets; `path` names the entry in errors.
    mutating func apply(_ entry: PolicyEntry, at path: String) throws(ConfigurationError) {
        func duration(_ text: String, _ member: String, offAllowed: Bool) throws(ConfigurationError) -> Int64? {
            if offAllowed, let value = DurationText.parseOptional(text) { return value }
            if let value = DurationText.parse(text) { return value }
            let accepted = offAllowed ? "a duration (30s, 15m, 24h, 3d) or off" : "a duration (30s, 15m, 24h, 3d)"
            throw ConfigurationError(field: "\(path).\(member)", reason: "\"\(text)\" is not \(accepted), at most 3650d")
        }
        if let text = entry.delivery { deliveryMs = try duration(text, "delivery", offAllowed: true) }
        if let text = entry.answer { answerMs = try duration(text, "answer", offAllowed: true) }
        if let text = entry.repeatEvery { repeatMs = try duration(text, "repeat", offAllowed: false)! }
        if let steps = entry.maxSteps {
            guard (0...EscalationPolicy.stepLimit).contains(steps) else {
                throw ConfigurationError(
                    field: "\(path).max_steps",
                    reason: "must be 0 (every level of the chain) to \(EscalationPolicy.stepLimit), not \(steps)")
            }
            maxSteps = steps == 0 ? nil : steps
        }
        if let text = entry.clock {
            guard let value = ClockKind(rawValue: text) else {
                throw ConfigurationError(field: "\(path).clock", reason: "\"\(text)\" is not continuous or working-days")
            }
            clock = value
        }
        if let value = entry.fanOut { fanOut = value }
    }
}
