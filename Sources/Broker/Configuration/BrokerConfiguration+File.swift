import Foundation

extension BrokerConfiguration {
    /// Reads the JSON file over the defaults. Unknown keys are errors (a typo must not be
    /// silently ignored); relative paths are resolved against the file's folder.
    public static func load(file path: String) throws -> BrokerConfiguration {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigurationError(
                source: path, field: "(file)", problem: "cannot be read (missing or no permission)")
        }
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: data)
        } catch {
            throw ConfigurationError(source: path, field: "(file)", problem: "is not valid JSON")
        }
        guard let root = object as? [String: Any] else {
            throw ConfigurationError(source: path, field: "(file)", problem: "must hold a JSON object")
        }
        var config = BrokerConfiguration()
        var reader = FieldReader(source: path, object: root, prefix: "")
        config.endpoint = try reader.string("endpoint") ?? config.endpoint
        config.adminEndpoint = try reader.string("admin_endpoint") ?? config.adminEndpoint
        config.dataDirectory = try reader.string("data_directory") ?? config.dataDirectory
        config.heartbeatMs = try reader.int("heartbeat_ms") ?? config.heartbeatMs
        config.liveness = try reader.int("liveness") ?? config.liveness
        config.ackTimeoutMs = try reader.int("ack_timeout_ms") ?? config.ackTimeoutMs
        config.maxPendingAccepts = try reader.int("max_pending_accepts") ?? config.maxPendingAccepts
        config.messageCacheBytes = try reader.int("message_cache_bytes") ?? config.messageCacheBytes
        config.logLevel = try reader.string("log_level") ?? config.logLevel
        config.logFormat = try reader.string("log_format") ?? config.logFormat
        config.readyFile = try reader.string("ready_file") ?? config.readyFile
        if var sub = try reader.object("redelivery") {
            config.redelivery.initialMs = try sub.int("initial_ms") ?? config.redelivery.initialMs
            config.redelivery.maxMs = try sub.int("max_ms") ?? config.redelivery.maxMs
            config.redelivery.maxAttempts = try sub.int("max_attempts") ?? config.redelivery.maxAttempts
            try sub.rejectUnknown()
        }
        if var sub = try reader.object("limits") {
            config.limits.maxHeaderBytes = try sub.int("max_header_bytes") ?? config.limits.maxHeaderBytes
            config.limits.maxBodyBytes = try sub.int("max_body_bytes") ?? config.limits.maxBodyBytes
            config.limits.maxRecipients = try sub.int("max_recipients") ?? config.limits.maxRecipients
            config.limits.maxWindow = try sub.int("max_window") ?? config.limits.maxWindow
            try sub.rejectUnknown()
        }
        config.directoryFile = try reader.string("directory_file") ?? config.directoryFile
        config.policyFile = try reader.string("policy_file") ?? config.policyFile
        config.divisionsFolder = try reader.string("divisions_folder") ?? config.divisionsFolder
        config.escalationPolicyFile = try reader.string("escalation_policy_file") ?? config.escalationPolicyFile
        config.calendarFile = try reader.string("calendar_file") ?? config.calendarFile
        config.insecurePlaintext = try reader.bool("insecure_plaintext") ?? config.insecurePlaintext
        config.handshakeTimeoutMs = try reader.int("handshake_timeout_ms") ?? config.handshakeTimeoutMs
        config.followUpDayMs = try reader.int("followup_day_ms").map(Int64.init) ?? config.followUpDayMs
        if var sub = try reader.object("curve") {
            config.curveSecretKeyFile = try sub.string("secret_key_file") ?? config.curveSecretKeyFile
            try sub.rejectUnknown()
        }
        if var sub = try reader.object("rate_limit") {
            config.rateLimit.messagesPerSecond =
                try sub.int("messages_per_second") ?? config.rateLimit.messagesPerSecond
            config.rateLimit.burst = try sub.int("burst") ?? config.rateLimit.burst
            try sub.rejectUnknown()
        }
        try reader.rejectUnknown()
        let base = (path as NSString).deletingLastPathComponent
        config.resolvePaths(relativeTo: base.isEmpty ? "." : base)
        return config
    }

    /// Makes relative data paths absolute against `base` (the configuration file's folder).
    mutating func resolvePaths(relativeTo base: String) {
        func absolute(_ path: String) -> String {
            if path.hasPrefix("/") { return path }
            let joined = (base as NSString).appendingPathComponent(path)
            return URL(fileURLWithPath: joined).standardizedFileURL.path
        }
        dataDirectory = absolute(dataDirectory)
        if adminEndpoint.hasPrefix("ipc://") {
            let rest = String(adminEndpoint.dropFirst("ipc://".count))
            if !rest.hasPrefix("@") { adminEndpoint = "ipc://" + absolute(rest) }
        }
        if let ready = readyFile { readyFile = absolute(ready) }
        if !directoryFile.isEmpty { directoryFile = absolute(directoryFile) }
        if !policyFile.isEmpty { policyFile = absolute(policyFile) }
        if !divisionsFolder.isEmpty { divisionsFolder = absolute(divisionsFolder) }
        if !escalationPolicyFile.isEmpty { escalationPolicyFile = absolute(escalationPolicyFile) }
        if !calendarFile.isEmpty { calendarFile = absolute(calendarFile) }
        if !curveSecretKeyFile.isEmpty { curveSecretKeyFile = absolute(curveSecretKeyFile) }
    }
}

/// Reads typed members of a JSON object, remembering which keys were used.
struct FieldReader {
    let source: String
    let object: [String: Any]
    let prefix: String
    private var used: Set<String> = []

    init(source: String, object: [String: Any], prefix: String) {
        self.source = source
        self.object = object
        self.prefix = prefix
    }

    private func fail(_ key: String, _ problem: String) -> ConfigurationError {
        ConfigurationError(source: source, field: prefix + key, problem: problem)
    }

    mutating func string(_ key: String) throws -> String? {
        used.insert(key)
        guard let value = object[key], !(value is NSNull) else { return nil }
        guard let string = value as? String else { throw fail(key, "must be a string") }
        return string
    }

    mutating func required(_ key: String) throws -> String {
        guard let value = try string(key) else { throw fail(key, "is required") }
        return value
    }

    mutating func int(_ key: String) throws -> Int? {
        used.insert(key)
        guard let value = object[key], !(value is NSNull) else { return nil }
        if let int = value as? Int { return int }
        if let double = value as? Double, double == double.rounded(), abs(double) < 1e15 { return Int(double) }
        throw fail(key, "must be an integer")
    }

    mutating func bool(_ key: String) throws -> Bool? {
        used.insert(key)
        guard let value = object[key], !(value is NSNull) else { return nil }
        guard let flag = value as? Bool else { throw fail(key, "must be true or false") }
        return flag
    }

    mutating func object(_ key: String) throws -> FieldReader? {
        used.insert(key)
        guard let value = object[key], !(value is NSNull) else { return nil }
        guard let nested = value as? [String: Any] else { throw fail(key, "must be an object") }
        return FieldReader(source: source, object: nested, prefix: prefix + key + ".")
    }

    mutating func array(_ key: String) throws -> [Any]? {
        used.insert(key)
        guard let value = object[key], !(value is NSNull) else { return nil }
        guard let array = value as? [Any] else { throw fail(key, "must be an array") }
        return array
    }

    func rejectUnknown() throws {
        if let unknown = object.keys.sorted().first(where: { !used.contains($0) }) {
            throw fail(unknown, "is not a known setting (check the spelling; see deploy/README.md)")
        }
    }
}
