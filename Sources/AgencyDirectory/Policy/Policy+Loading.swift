import Foundation
import ReferralProtocol

/// The policy file: JSON, under the operator's control, version 1.
///
/// ```json
/// {
///   "version": 1,
///   "rules": [
///     { "name": "broker-only", "kinds": ["escalation.notice"], "from": [] },
///     { "name": "crisis", "kinds": ["crisis.alert"], "from": ["*"] },
///     { "name": "clinical", "kinds": ["referral.*", "discharge.notice"], "from": ["health/hospital", "health/psychiatric-clinic"] },
///     { "kinds": ["followup.*"], "from": ["education", "civil-affairs/*"] }
///   ]
/// }
/// ```
///
/// - `version` (required): 1.
/// - `rules` (required): tried in order; the first rule whose `kinds` match the message kind
///   decides, and a kind no rule matches is denied.
///   - `name` (optional): how denial reasons name the rule; 1-64 characters.
///   - `kinds` (required, not empty): `kind` (exact), `prefix.*` (any kind below the
///     prefix) or `*` (any kind).
///   - `from` (required, may be empty = nobody): `*` (any node), `AGENCY`, `AGENCY/KIND`
///     or `AGENCY/*`.
///
/// Unknown keys are refused; errors name the file, the rule (`rules[2]`) and the field.
extension Policy {
    /// Reads and checks the policy file at `file`; errors name it by `file.path`.
    public static func load(file: URL) throws(ConfigurationError) -> Policy {
        let data: Data
        do {
            data = try Data(contentsOf: file)
        } catch {
            throw ConfigurationError(file: file.path, reason: "cannot be read")
        }
        return try load(data: data, file: file.path)
    }

    /// Checks policy JSON already read; `file` is how errors name its origin.
    public static func load(data: Data, file: String) throws(ConfigurationError) -> Policy {
        var top = try JSONObjectReader(try JSONFile.parse(data, file: file), file: file, entry: nil)
        try top.version(1)
        let items = try top.array("rules")
        try top.refuseUnknownKeys()
        var rules: [Rule] = []
        for (index, item) in items.enumerated() {
            var reader = try JSONObjectReader(item, file: file, entry: "rules[\(index)]")
            let name = try reader.optionalString("name")
            guard let kinds = try reader.optionalStrings("kinds") else { throw reader.error("kinds", "is required") }
            guard let from = try reader.optionalStrings("from") else { throw reader.error("from", "is required") }
            try reader.refuseUnknownKeys()
            rules.append(Rule(name: name, kinds: kinds, from: from))
        }
        return try Policy(rules: rules, file: file)
    }
}
