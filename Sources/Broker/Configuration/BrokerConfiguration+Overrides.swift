import Foundation
import ReferralProtocol

extension BrokerConfiguration {
    /// The environment variables `referrald` reads, each overriding the file's key of the
    /// same name (documented in `referrald run --help` and deploy/README.md).
    public static let environmentKeys: [(variable: String, key: String)] = [
        ("REFERRALD_ENDPOINT", "endpoint"),
        ("REFERRALD_ADMIN_ENDPOINT", "admin_endpoint"),
        ("REFERRALD_DATA_DIRECTORY", "data_directory"),
        ("REFERRALD_LOG_LEVEL", "log_level"),
        ("REFERRALD_LOG_FORMAT", "log_format"),
        ("REFERRALD_HEARTBEAT_MS", "heartbeat_ms"),
        ("REFERRALD_ACK_TIMEOUT_MS", "ack_timeout_ms"),
        ("REFERRALD_READY_FILE", "ready_file"),
        ("REFERRALD_DIRECTORY_FILE", "directory_file"),
        ("REFERRALD_POLICY_FILE", "policy_file"),
        ("REFERRALD_HTTP_LISTEN", "http_listen"),
    ]

    /// Applies `REFERRALD_*` variables over the file.
    public mutating func applyEnvironment(_ environment: [String: String]) throws(ConfigurationError) {
        for (variable, key) in Self.environmentKeys {
            guard let value = environment[variable], !value.isEmpty else { continue }
            try set(key, to: value, source: "environment \(variable)")
        }
    }

    /// Sets one key from a string (environment or command line); relative paths are resolved against the working
    /// directory.
    public mutating func set(_ key: String, to value: String, source: String) throws(ConfigurationError) {
        func int() throws(ConfigurationError) -> Int {
            guard let number = Int(value) else {
                throw ConfigurationError(file: source, field: key, reason: "must be an integer, got '\(value)'")
            }
            return number
        }
        switch key {
        case "endpoint": endpoint = value
        case "admin_endpoint": adminEndpoint = value
        case "data_directory": dataDirectory = value
        case "log_level": logLevel = value
        case "log_format": logFormat = value
        case "ready_file": readyFile = value
        case "directory_file": directoryFile = value
        case "policy_file": policyFile = value
        case "http_listen": http.listen = value
        case "insecure_plaintext":
            guard let flag = Bool(value) else {
                throw ConfigurationError(file: source, field: key, reason: "must be true or false")
            }
            insecurePlaintext = flag
        case "heartbeat_ms": heartbeatMs = try int()
        case "ack_timeout_ms": ackTimeoutMs = try int()
        default:
            throw ConfigurationError(file: source, field: key, reason: "is not a known setting")
        }
        // A path from the environment or the command line is relative to the working directory; made absolute
        // now, so that the admin socket's path (ready file, logs, referralctl --admin) means the same anywhere.
        resolvePaths(relativeTo: FileManager.default.currentDirectoryPath)
    }
}
