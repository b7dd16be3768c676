import Foundation
import ReferralProtocol

extension BrokerConfiguration {
    /// Reads the JSON file over the defaults with the strict reader (deploy/README.md). Unknown keys, wrong
    /// types and duplicate keys are errors naming the file and the key (a typo must not be silently ignored);
    /// relative paths are resolved against the file's folder.
    public static func load(file path: String) throws(ConfigurationError) -> BrokerConfiguration {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigurationError(file: path, reason: "cannot be read (missing or no permission)")
        }
        var reader = try JSONObjectReader(try JSONFile.parse(data, file: path), file: path)
        var config = BrokerConfiguration()
        try config.read(&reader)
        try reader.refuseUnknownKeys()
        let base = (path as NSString).deletingLastPathComponent
        config.resolvePaths(relativeTo: base.isEmpty ? "." : base)
        return config
    }

    /// Copies every key the file sets over the value in force: the keys are listed once, with where each goes.
    private mutating func read(_ reader: inout JSONObjectReader) throws(ConfigurationError) {
        let strings: [(key: String, path: WritableKeyPath<BrokerConfiguration, String>)] = [
            ("instance", \.instance), ("endpoint", \.endpoint), ("admin_endpoint", \.adminEndpoint),
            ("data_directory", \.dataDirectory),
            ("log_level", \.logLevel), ("log_format", \.logFormat), ("directory_file", \.directoryFile),
            ("policy_file", \.policyFile), ("divisions_folder", \.divisionsFolder),
            ("escalation_policy_file", \.escalationPolicyFile), ("calendar_file", \.calendarFile),
        ]
        let integers: [(key: String, path: WritableKeyPath<BrokerConfiguration, Int>)] = [
            ("heartbeat_ms", \.heartbeatMs), ("liveness", \.liveness), ("ack_timeout_ms", \.ackTimeoutMs),
            ("max_pending_accepts", \.maxPendingAccepts), ("message_cache_bytes", \.messageCacheBytes),
            ("handshake_timeout_ms", \.handshakeTimeoutMs), ("delivery_memory", \.deliveryMemory),
            ("receipt_memory", \.receiptMemory), ("store_lock_wait_ms", \.storeLockWaitMs),
            ("audit_verify_interval_ms", \.auditVerifyIntervalMs),
        ]
        // Objects of integer settings, their keys named `section.key`.
        let sections: [(name: String, integers: [(key: String, path: WritableKeyPath<BrokerConfiguration, Int>)])] = [
            (
                "redelivery",
                [
                    ("initial_ms", \.redelivery.initialMs), ("max_ms", \.redelivery.maxMs),
                    ("max_attempts", \.redelivery.maxAttempts),
                ]
            ),
            (
                "limits",
                [
                    ("max_header_bytes", \.limits.maxHeaderBytes), ("max_body_bytes", \.limits.maxBodyBytes),
                    ("max_recipients", \.limits.maxRecipients), ("max_window", \.limits.maxWindow),
                ]
            ),
            ("rate_limit", [("messages_per_second", \.rateLimit.messagesPerSecond), ("burst", \.rateLimit.burst)]),
            (
                "retention",
                [
                    ("closed_case_body_ms", \.retention.closedCaseBodyMs),
                    ("caseless_body_ms", \.retention.caselessBodyMs),
                    ("dead_letter_body_ms", \.retention.deadLetterBodyMs),
                    ("purge_interval_ms", \.retention.purgeIntervalMs), ("purge_batch", \.retention.purgeBatch),
                ]
            ),
        ]
        for (key, path) in strings { if let value = try reader.optionalString(key) { self[keyPath: path] = value } }
        for (key, path) in integers { if let value = try reader.optionalInteger(key) { self[keyPath: path] = value } }
        for section in sections {
            guard var object = try reader.optionalReader(section.name) else { continue }
            for (key, path) in section.integers {
                if let value = try object.optionalInteger(key) { self[keyPath: path] = value }
            }
            try object.refuseUnknownKeys()
        }
        readyFile = try reader.optionalString("ready_file") ?? readyFile
        insecurePlaintext = try reader.optionalBool("insecure_plaintext") ?? insecurePlaintext
        followUpDayMs = try reader.optionalInteger("followup_day_ms").map(Int64.init) ?? followUpDayMs
        if var http = try reader.optionalReader("http") {
            let members: [(key: String, path: WritableKeyPath<HTTPSettings, String>)] = [
                ("listen", \.listen), ("tls_certificate_file", \.tlsCertificateFile), ("tls_key_file", \.tlsKeyFile),
                ("token_file", \.tokenFile),
            ]
            for (key, path) in members {
                if let value = try http.optionalString(key) { self.http[keyPath: path] = value }
            }
            try http.refuseUnknownKeys()
        }
        if var store = try reader.optionalReader("store") { self.store = try StoreSettings.parse(&store) }
        if var curve = try reader.optionalReader("curve") {
            curveSecretKeyFile = try curve.optionalString("secret_key_file") ?? curveSecretKeyFile
            try curve.refuseUnknownKeys()
        }
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
        if !http.tlsCertificateFile.isEmpty { http.tlsCertificateFile = absolute(http.tlsCertificateFile) }
        if !http.tlsKeyFile.isEmpty { http.tlsKeyFile = absolute(http.tlsKeyFile) }
        if !http.tokenFile.isEmpty { http.tokenFile = absolute(http.tokenFile) }
        store.resolvePaths(absolute)
    }
}
