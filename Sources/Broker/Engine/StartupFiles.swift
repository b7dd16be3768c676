import AgencyDirectory
import Foundation

/// Every file `referrald run` reads besides its configuration, loaded before the store is opened (nothing is
/// created for a configuration that is not valid) and by `check-config` (which must pass exactly what `run`
/// accepts): the division table, the agency directory with the authorization policy, the escalation policy and
/// calendar, and the secret key file.
struct StartupFiles: Sendable {
    var divisions: DivisionTable
    var jurisdiction: Jurisdiction
    var escalation: EscalationSettings

    static func load(_ configuration: BrokerConfiguration) throws -> StartupFiles {
        let divisions = try Jurisdiction.divisions(configuration)
        let jurisdiction = try Jurisdiction.load(configuration, divisions: divisions)
        let escalation = try EscalationSettings.load(configuration)
        if !configuration.insecurePlaintext {
            let key = configuration.curveSecretKeyFile
            guard FileManager.default.fileExists(atPath: key) else {
                throw ConfigurationError(
                    source: "curve.secret_key_file", field: "",
                    problem: "\(key) does not exist: generate the broker's key pair with `referralctl keygen --out "
                        + "PREFIX` (deploy/README.md, Security), or correct the path")
            }
            _ = try PollLoop.readSecretKey(path: key)
        }
        return StartupFiles(divisions: divisions, jurisdiction: jurisdiction, escalation: escalation)
    }
}

extension BrokerConfiguration {
    /// Loads every file `referrald run` would load (`check-config`); throws the first `ConfigurationError`.
    /// Returns a one-line summary of what was loaded.
    public func checkFiles() throws -> String {
        let files = try StartupFiles.load(self)
        return "\(files.jurisdiction.directory.allEntries.count) nodes, escalation policy "
            + "\(files.escalation.policies.revision)"
    }
}
