import AgencyDirectory
import BrokerMachine
import CaseCore
import Foundation
import ReferralProtocol
import ZeroMQ

/// Every file `referrald run` reads besides its configuration, loaded before the store is opened (nothing is
/// created for a configuration that is not valid) and by `check-config` (which must pass exactly what `run`
/// accepts): the division table, the agency directory with the authorization policy, the escalation policy and
/// calendar, the secret key file, and a PostgreSQL store's password and CA files.
struct StartupFiles: Sendable {
    var divisions: DivisionTable
    var jurisdiction: Jurisdiction
    var escalation: EscalationSettings
    /// The broker's CURVE secret key; nil in plaintext development mode.
    var secretKey: CurveKey?
    /// How to open the store `store.backend` names.
    var store: StoreOpener
    /// A PostgreSQL store's password (`password_file` or `REFERRALD_PG_PASSWORD`), for the lease's connection too.
    var storePassword: PostgreSQLPassword?

    static func load(_ configuration: BrokerConfiguration) throws -> StartupFiles {
        let divisions = try Jurisdiction.divisions(configuration)
        let jurisdiction = try Jurisdiction.load(configuration, divisions: divisions)
        let escalation = try EscalationSettings.load(configuration)
        let secretKey =
            configuration.insecurePlaintext ? nil : try Self.readSecretKey(path: configuration.curveSecretKeyFile)
        let password = try configuration.store.loadFiles(environment: ProcessInfo.processInfo.environment)
        let store = try StoreOpener.forBackend(of: configuration, password: password)
        return StartupFiles(
            divisions: divisions, jurisdiction: jurisdiction, escalation: escalation, secretKey: secretKey,
            store: store, storePassword: password)
    }

    /// What a reload (SIGHUP or `referralctl directory reload`) reads again: the agency directory with the
    /// authorization policy, the escalation policy file and the calendar file. All are tried, so one refusal names
    /// every broken file at once; the machine swaps them in together or not at all.
    static func reloadable(
        _ configuration: BrokerConfiguration, divisions: DivisionTable
    ) -> Result<Reloadable, ReloadRefusal> {
        var problems: [String] = []
        var jurisdiction: Jurisdiction?
        var escalation: EscalationSettings?
        do { jurisdiction = try Jurisdiction.load(configuration, divisions: divisions) } catch {
            problems.append("\(error)")
        }
        do { escalation = try EscalationSettings.load(configuration) } catch { problems.append("\(error)") }
        guard let jurisdiction, let escalation, problems.isEmpty else {
            return .failure(ReloadRefusal(problems: problems))
        }
        return .success(Reloadable(jurisdiction: jurisdiction, escalation: escalation))
    }

    /// Reads the broker's secret key file, refusing one that others can read (`KeyFiles`).
    static func readSecretKey(path: String) throws -> CurveKey {
        guard FileManager.default.fileExists(atPath: path) else {
            throw ConfigurationError(
                setting: "curve.secret_key_file",
                reason: "\(path) does not exist: generate the broker's key pair with `referralctl keygen --out "
                    + "PREFIX` (deploy/README.md, Security), or correct the path")
        }
        do {
            return try KeyFiles.readSecret(path: path)
        } catch let error as KeyFileError {
            throw ConfigurationError(setting: "curve.secret_key_file", reason: "\(error)")
        }
    }
}

extension BrokerConfiguration {
    /// Loads every file `referrald run` would load (`check-config`); throws the first `ConfigurationError`.
    /// Returns a one-line summary of what was loaded.
    public func checkFiles() throws -> String {
        let files = try StartupFiles.load(self)
        if http.isEnabled {
            _ = try http.readToken()
            try http.checkTLSFiles()
        }
        return "\(files.jurisdiction.directory.allEntries.count) nodes, escalation policy "
            + "\(files.escalation.policies.revision)"
    }
}
