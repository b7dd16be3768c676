import AgencyDirectory
import Foundation
import ReferralProtocol

/// Who is who and who may say what: the agency directory and the authorization policy, as
/// loaded from the operator's files. Node identity is decided here and only here.
struct Jurisdiction: Sendable {
    let directory: Directory
    let policy: Policy
    /// Development only: identity is the HELLO's word, not a CURVE key.
    let plaintext: Bool

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

    enum Identification {
        case node(DirectoryEntry)
        /// No such node (plaintext) — UNKNOWN_NODE.
        case unknown
        /// The key belongs to another node than the HELLO claims — IDENTITY_MISMATCH.
        case mismatch(keyNode: String)
        case suspended(DirectoryEntry)
    }

    /// The node a HELLO may open a session for. With CURVE the key's node (`keyNode`: `activeNode(key:)`, the
    /// active node whose current key the connection authenticated with) decides and the HELLO must agree; in
    /// plaintext development mode (`keyNode` nil) the HELLO's word is taken.
    func identify(hello: Hello, keyNode: DirectoryEntry?) -> Identification {
        guard let keyNode else {
            guard let entry = directory.entry(id: hello.node) else { return .unknown }
            return entry.isActive ? .node(entry) : .suspended(entry)
        }
        return keyNode.id == hello.node ? .node(keyNode) : .mismatch(keyNode: keyNode.id)
    }

    /// The active node whose current key is `userId` (the ZAP User-Id: the Z85 key the connection authenticated
    /// with), or nil when the key is unknown, replaced or belongs to a suspended node.
    func activeNode(key userId: String?) -> DirectoryEntry? {
        guard let userId, let entry = directory.entry(publicKey: userId), entry.isActive else { return nil }
        return entry
    }

    func entry(_ id: String) -> DirectoryEntry? { directory.entry(id: id) }
}
