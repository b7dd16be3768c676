import AgencyDirectory
import BrokerMachine
import Foundation

/// Reading the agency directory, the authorization policy and the division table named by the configuration.
extension Jurisdiction {
    /// Loads the files named by the configuration. Errors name the file, the entry and the field.
    static func load(_ configuration: BrokerConfiguration, divisions: DivisionTable) throws -> Jurisdiction {
        let directory: Directory
        do {
            directory = try Directory.load(
                file: URL(fileURLWithPath: configuration.directoryFile), divisions: divisions)
        } catch {
            // The directory's own error names the file, the entry and the field.
            throw ConfigurationError(source: "directory_file", field: "", problem: "\(error)")
        }
        var policy = Policy.default
        if !configuration.policyFile.isEmpty {
            do {
                policy = try Policy.load(file: URL(fileURLWithPath: configuration.policyFile))
            } catch {
                throw ConfigurationError(source: "policy_file", field: "", problem: "\(error)")
            }
        }
        return Jurisdiction(directory: directory, policy: policy, plaintext: configuration.insecurePlaintext)
    }

    static func divisions(_ configuration: BrokerConfiguration) throws -> DivisionTable {
        do {
            if configuration.divisionsFolder.isEmpty { return try DivisionTable.fujian() }
            return try DivisionTable(folder: URL(fileURLWithPath: configuration.divisionsFolder))
        } catch {
            throw ConfigurationError(source: "referrald", field: "divisions_folder", problem: "\(error)")
        }
    }
}
