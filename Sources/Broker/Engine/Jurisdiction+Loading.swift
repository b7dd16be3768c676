import AgencyDirectory
import BrokerMachine
import Foundation
import ReferralProtocol

/// Reading the agency directory, the authorization policy and the division table named by the configuration.
extension Jurisdiction {
    /// Loads the files named by the configuration. Errors name the file, the setting naming it, the entry and
    /// the field.
    static func load(_ configuration: BrokerConfiguration, divisions: DivisionTable) throws(ConfigurationError)
        -> Jurisdiction
    {
        let path = configuration.directoryFile
        let directory: Directory
        do throws(ConfigurationError) {
            directory = try Directory.load(file: URL(fileURLWithPath: path), divisions: divisions)
        } catch {
            throw error.found(in: path, namedBy: "directory_file")
        }
        var policy = Policy.default
        if !configuration.policyFile.isEmpty {
            do throws(ConfigurationError) {
                policy = try Policy.load(file: URL(fileURLWithPath: configuration.policyFile))
            } catch {
                throw error.found(in: configuration.policyFile, namedBy: "policy_file")
            }
        }
        return Jurisdiction(directory: directory, policy: policy, plaintext: configuration.insecurePlaintext)
    }

    static func divisions(_ configuration: BrokerConfiguration) throws(ConfigurationError) -> DivisionTable {
        do throws(ConfigurationError) {
            if configuration.divisionsFolder.isEmpty { return try DivisionTable.fujian() }
            return try DivisionTable(folder: URL(fileURLWithPath: configuration.divisionsFolder))
        } catch {
            throw error.found(in: configuration.divisionsFolder, namedBy: "divisions_folder")
        }
    }
}
