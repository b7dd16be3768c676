import AgencyDirectory
import BrokerMachine
import CaseCore
import Foundation
import ReferralProtocol

/// Reading the escalation policy file and the calendar file (`escalation_policy_file`, `calendar_file`) at start
/// and on reload; the settings themselves are the machine's.
extension EscalationSettings {
    static func load(_ configuration: BrokerConfiguration) throws -> EscalationSettings {
        var settings = EscalationSettings.defaults
        if !configuration.escalationPolicyFile.isEmpty {
            let path = configuration.escalationPolicyFile
            let field = "escalation_policy_file"
            let data = try read(path, field: field)
            do {
                let document = try policyDocument(try JSONFile.parse(data, file: nil))
                // The digest of the very bytes parsed: a file rewritten while it is read never gets the
                // revision of the other content.
                let revision = String(SHA256.hex(SHA256.hash(Array(data))).prefix(12))
                settings.policies = try EscalationPolicies(document: document, revision: revision)
            } catch let error as AgencyDirectory.ConfigurationError {
                throw ConfigurationError(source: path, field: field, problem: problem(error))
            } catch {
                throw ConfigurationError(source: path, field: field, problem: "\(error)")
            }
        }
        if !configuration.calendarFile.isEmpty {
            let path = configuration.calendarFile
            let field = "calendar_file"
            let data = try read(path, field: field)
            do {
                var root = try JSONObjectReader(try JSONFile.parse(data, file: nil), file: nil, entry: nil)
                let holidays = try root.optionalStrings("holidays") ?? []
                let workdays = try root.optionalStrings("workdays") ?? []
                try root.refuseUnknownKeys()
                settings.calendar = try WorkingCalendar(holidays: holidays, workdays: workdays)
            } catch let error as AgencyDirectory.ConfigurationError {
                throw ConfigurationError(source: path, field: field, problem: problem(error))
            } catch {
                throw ConfigurationError(source: path, field: field, problem: "\(error)")
            }
        }
        return settings
    }

    private static func read(_ path: String, field: String) throws -> Data {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigurationError(source: path, field: field, problem: "cannot be read (missing or no permission)")
        }
        return data
    }

    /// A fault of the file's JSON as `member.path: reason` (the file and the configuration field are named
    /// by the caller).
    private static func problem(_ error: AgencyDirectory.ConfigurationError) -> String {
        let path = [error.entry, error.field].compactMap { $0 }.joined(separator: ".")
        return path.isEmpty ? error.reason : "\(path): \(error.reason)"
    }

    /// The JSON of CaseCore's `PolicyDocument`, member for member; unknown members are errors.
    static func policyDocument(_ json: JSONValue) throws(AgencyDirectory.ConfigurationError) -> PolicyDocument {
        var root = try JSONObjectReader(json, file: nil, entry: nil)
        try root.version(1)
        var document = PolicyDocument(version: 1)
        for (name, value) in try root.optionalObject("levels") ?? [] {
            document.levels[name] = try entry(value, at: "levels.\(name)")
        }
        for (kind, value) in try root.optionalObject("kinds") ?? [] {
            // A tuning that could never apply is a mistake to report, not to ignore.
            guard Escalation.kindsWithDeadlines.contains(kind) else {
                throw AgencyDirectory.ConfigurationError(
                    entry: "kinds.\(kind)",
                    reason: "sets no deadlines; only \(Escalation.kindsWithDeadlines.joined(separator: ", ")) do")
            }
            let perLevel = try JSONObjectReader(value, file: nil, entry: "kinds.\(kind)")
            var entries: [String: PolicyEntry] = [:]
            for (level, member) in perLevel.members { entries[level] = try entry(member, at: "kinds.\(kind).\(level)") }
            document.kinds[kind] = entries
        }
        try root.refuseUnknownKeys()
        return document
    }

    private static func entry(_ value: JSONValue, at path: String) throws(AgencyDirectory.ConfigurationError)
        -> PolicyEntry
    {
        var object = try JSONObjectReader(value, file: nil, entry: path)
        var entry = PolicyEntry()
        entry.delivery = try object.optionalString("delivery")
        entry.answer = try object.optionalString("answer")
        entry.repeatEvery = try object.optionalString("repeat")
        entry.clock = try object.optionalString("clock")
        entry.maxSteps = try object.optionalInteger("max_steps")
        entry.fanOut = try object.optionalBool("fan_out")
        try object.refuseUnknownKeys()
        return entry
    }
}
