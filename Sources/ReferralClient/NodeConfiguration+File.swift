import Foundation
import ReferralProtocol

extension NodeConfiguration {
    /// Reads, checks and returns the configuration in the JSON file at `path`. A relative `store` or
    /// `secret_key_file` is resolved against the file's directory; with CURVE, the secret key file is read and
    /// checked (mode, format, matching `public_key`) and the keys put in `curve`. Errors are
    /// `ConfigurationError`s naming the file and the field.
    public static func load(path: String) throws -> NodeConfiguration {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw ConfigurationError(file: path, reason: "cannot read the file (\(Self.describe(error)))")
        }
        return try parse(data, file: path)
    }

    /// Fields only a broker configuration has (deploy/README.md): a file with them and no `node` is referrald's.
    static let brokerOnlyFields: Set<String> = [
        "endpoint", "admin_endpoint", "data_directory", "directory_file", "curve", "insecure_plaintext",
    ]

    /// Parses and checks a configuration with the strict reader; `file` names it in errors and anchors a
    /// relative `store` and `secret_key_file`; reads the secret key file.
    static func parse(_ data: Data, file: String) throws -> NodeConfiguration {
        var configuration = try read(data, file: file)
        try configuration.validate(file: file)
        let directory = URL(fileURLWithPath: file).deletingLastPathComponent()
        if !configuration.store.hasPrefix("/") {
            configuration.store = directory.appendingPathComponent(configuration.store).standardizedFileURL.path
        }
        if let secretKeyFile = configuration.secretKeyFile, !secretKeyFile.hasPrefix("/") {
            configuration.secretKeyFile = directory.appendingPathComponent(secretKeyFile).standardizedFileURL.path
        }
        configuration.curve = try configuration.loadCurveKeys(file: file)
        return configuration
    }

    /// The file's keys, as they are (checked by `validate`). Unknown keys, wrong types and missing required keys
    /// are errors naming the key, as in every configuration file.
    private static func read(_ data: Data, file: String) throws(ConfigurationError) -> NodeConfiguration {
        var reader = try JSONObjectReader(try JSONFile.parse(data, file: file), file: file)
        let keys = reader.members.map(\.key)
        if !keys.contains(Key.node.rawValue), keys.contains(where: brokerOnlyFields.contains) {
            throw ConfigurationError(
                file: file,
                reason: "is a broker configuration (referrald's), not a node's: give the node's own file, "
                    + "e.g. data/dev/nodes/<id>.json")
        }
        var configuration = NodeConfiguration(
            node: try reader.string(Key.node.rawValue), endpoints: try readEndpoints(&reader),
            store: try reader.string(Key.store.rawValue))
        configuration.window = try reader.optionalInteger(Key.window.rawValue) ?? configuration.window
        configuration.reconnectInitialMs =
            try reader.optionalInteger(Key.reconnectInitialMs.rawValue) ?? configuration.reconnectInitialMs
        configuration.reconnectMaxMs =
            try reader.optionalInteger(Key.reconnectMaxMs.rawValue) ?? configuration.reconnectMaxMs
        configuration.heartbeatMs = try reader.optionalInteger(Key.heartbeatMs.rawValue)
        configuration.welcomeTimeoutMs =
            try reader.optionalInteger(Key.welcomeTimeoutMs.rawValue) ?? configuration.welcomeTimeoutMs
        configuration.serverPublicKey = try reader.optionalString(Key.serverPublicKey.rawValue)
        configuration.publicKey = try reader.optionalString(Key.publicKey.rawValue)
        configuration.secretKeyFile = try reader.optionalString(Key.secretKeyFile.rawValue)
        try reader.refuseUnknownKeys()
        return configuration
    }

    /// `broker`: one endpoint as a string, or several (a broker's instances) as an array of strings.
    private static func readEndpoints(_ reader: inout JSONObjectReader) throws(ConfigurationError) -> [String] {
        let key = Key.broker.rawValue
        switch reader.value(key) {
        case nil:
            throw reader.error(key, "is required")
        case .string(let endpoint):
            return [endpoint]
        case .array:
            return try reader.optionalStrings(key) ?? []
        case let other?:
            throw reader.error(
                key,
                "must be an endpoint (a string) or a list of endpoints (an array of strings), not \(other.typeName)")
        }
    }

    private static func describe(_ error: any Error) -> String {
        let nsError = error as NSError
        if let underlying = nsError.userInfo[NSUnderlyingErrorKey] as? NSError {
            return underlying.localizedDescription
        }
        return nsError.localizedDescription
    }
}
