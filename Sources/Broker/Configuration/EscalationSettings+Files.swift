import BrokerMachine
import CaseCore
import Foundation
import ReferralProtocol

extension EscalationSettings {
    /// Reads `escalation_policy_file` and `calendar_file` (each optional) with the strict reader; an error names
    /// the file, the setting that names it, the member and the problem.
    static func load(_ configuration: BrokerConfiguration) throws(ConfigurationError) -> EscalationSettings {
        var settings = EscalationSettings.defaults
        if !configuration.escalationPolicyFile.isEmpty {
            let path = configuration.escalationPolicyFile
            let setting = "escalation_policy_file"
            let data = try read(path, setting: setting)
            do throws(ConfigurationError) {
                let document = try PolicyDocument(json: data, file: path)
                try refuseKindsWithoutDeadlines(document)
                // The digest of the very bytes parsed: a file rewritten while it is read never gets the
                // revision of the other content.
                let revision = String(SHA256.hex(SHA256.hash(data)).prefix(12))
                settings.policies = try EscalationPolicies(document: document, revision: revision)
            } catch {
                throw error.found(in: path, namedBy: setting)
            }
        }
        if !configuration.calendarFile.isEmpty {
            let path = configuration.calendarFile
            let setting = "calendar_file"
            let data = try read(path, setting: setting)
            do throws(ConfigurationError) {
                settings.calendar = try WorkingCalendar(json: data, file: path)
            } catch {
                throw error.found(in: path, namedBy: setting)
            }
        }
        return settings
    }

    private static func read(_ path: String, setting: String) throws(ConfigurationError) -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigurationError(file: path, setting: setting, reason: "cannot be read (missing or no permission)")
        }
        return Array(data)
    }

    /// A tuning that could never apply is a mistake to report, not to ignore.
    private static func refuseKindsWithoutDeadlines(_ document: PolicyDocument) throws(ConfigurationError) {
        for kind in document.kinds.keys.sorted() where !Escalation.kindsWithDeadlines.contains(kind) {
            throw ConfigurationError(
                field: "kinds.\(kind)",
                reason: "sets no deadlines; only \(Escalation.kindsWithDeadlines.joined(separator: ", ")) do")
        }
    }
}
