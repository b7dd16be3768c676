import Foundation
import ReferralProtocol

extension BrokerConfiguration {
    /// The configuration in force as a `referrald.json` (`referrald print-config`): every member, defaults included,
    /// paths absolute, the admin endpoint resolved. It loads back as the same configuration, so an operator can
    /// diff two machines' outputs or keep one as the file. Secrets are never in it: the configuration holds only
    /// the paths of key and token files, never their contents, and a member named like a secret that is not a
    /// path (`…key`, `…token`, `…password`, `…secret`) is printed as `"<redacted>"` (`redacted(_:)`).
    public var effectiveJSON: JSONValue {
        var members: [(key: String, value: JSONValue)] = [
            ("instance", .string(instance)),
            ("endpoint", .string(endpoint)),
            ("admin_endpoint", .string(resolvedAdminEndpoint)),
            ("data_directory", .string(dataDirectory)),
            ("store", store.effectiveJSON),
            ("heartbeat_ms", .integer(Int64(heartbeatMs))),
            ("liveness", .integer(Int64(liveness))),
            ("ack_timeout_ms", .integer(Int64(ackTimeoutMs))),
            (
                "redelivery",
                .object([
                    ("initial_ms", .integer(Int64(redelivery.initialMs))),
                    ("max_ms", .integer(Int64(redelivery.maxMs))),
                    ("max_attempts", .integer(Int64(redelivery.maxAttempts))),
                ])
            ),
            (
                "limits",
                .object([
                    ("max_header_bytes", .integer(Int64(limits.maxHeaderBytes))),
                    ("max_body_bytes", .integer(Int64(limits.maxBodyBytes))),
                    ("max_recipients", .integer(Int64(limits.maxRecipients))),
                    ("max_window", .integer(Int64(limits.maxWindow))),
                ])
            ),
            ("max_pending_accepts", .integer(Int64(maxPendingAccepts))),
            ("message_cache_bytes", .integer(Int64(messageCacheBytes))),
            ("delivery_memory", .integer(Int64(deliveryMemory))),
            ("receipt_memory", .integer(Int64(receiptMemory))),
            ("log_level", .string(logLevel)),
            ("log_format", .string(logFormat)),
        ]
        // The file format has no null: a ready file that is not set is left out, as in the file.
        if let readyFile { members.append(("ready_file", .string(readyFile))) }
        members += [
            ("directory_file", .string(directoryFile)),
            ("policy_file", .string(policyFile)),
            ("escalation_policy_file", .string(escalationPolicyFile)),
            ("calendar_file", .string(calendarFile)),
            ("followup_day_ms", .integer(followUpDayMs)),
            ("divisions_folder", .string(divisionsFolder)),
            ("curve", .object([("secret_key_file", .string(curveSecretKeyFile))])),
            ("insecure_plaintext", .bool(insecurePlaintext)),
            ("handshake_timeout_ms", .integer(Int64(handshakeTimeoutMs))),
            (
                "rate_limit",
                .object([
                    ("messages_per_second", .integer(Int64(rateLimit.messagesPerSecond))),
                    ("burst", .integer(Int64(rateLimit.burst))),
                ])
            ),
            (
                "retention",
                .object([
                    ("closed_case_body_ms", .integer(Int64(retention.closedCaseBodyMs))),
                    ("caseless_body_ms", .integer(Int64(retention.caselessBodyMs))),
                    ("dead_letter_body_ms", .integer(Int64(retention.deadLetterBodyMs))),
                    ("purge_interval_ms", .integer(Int64(retention.purgeIntervalMs))),
                    ("purge_batch", .integer(Int64(retention.purgeBatch))),
                ])
            ),
            (
                "http",
                .object([
                    ("listen", .string(http.listen)),
                    ("tls_certificate_file", .string(http.tlsCertificateFile)),
                    ("tls_key_file", .string(http.tlsKeyFile)),
                    ("token_file", .string(http.tokenFile)),
                ])
            ),
            ("store_lock_wait_ms", .integer(Int64(storeLockWaitMs))),
            ("audit_verify_interval_ms", .integer(Int64(auditVerifyIntervalMs))),
        ]
        return Self.redacted(.object(members))
    }

    /// The stored properties `effectiveJSON` prints. A test compares it with the properties the type has, so a
    /// member added to the configuration but not to `referrald print-config` fails the tests.
    public static let printedProperties: Set<String> = [
        "instance", "store", "endpoint", "adminEndpoint", "dataDirectory", "heartbeatMs", "liveness", "ackTimeoutMs",
        "redelivery",
        "limits", "maxPendingAccepts", "messageCacheBytes", "deliveryMemory", "receiptMemory", "logLevel",
        "logFormat", "readyFile", "directoryFile", "policyFile", "escalationPolicyFile", "calendarFile",
        "followUpDayMs", "divisionsFolder", "curveSecretKeyFile", "insecurePlaintext", "handshakeTimeoutMs",
        "rateLimit", "retention", "http", "storeLockWaitMs", "auditVerifyIntervalMs",
    ]

    /// `value` with every string member whose name says it is a secret (and not the path of a file holding
    /// one) replaced by `"<redacted>"`, at any depth.
    public static func redacted(_ value: JSONValue) -> JSONValue {
        switch value {
        case .object(let members):
            return .object(
                members.map { key, member in
                    if case .string = member, isSecretName(key) { return (key, .string("<redacted>")) }
                    return (key, redacted(member))
                })
        case .array(let items): return .array(items.map(redacted))
        default: return value
        }
    }

    static func isSecretName(_ key: String) -> Bool {
        let name = key.lowercased()
        guard !name.hasSuffix("_file"), !name.hasSuffix("_folder"), !name.hasSuffix("public_key") else { return false }
        return ["key", "token", "password", "secret"].contains { name.hasSuffix($0) }
    }
}

/// Indented JSON for people to read (`referrald print-config`); scalars are written by `JSONWriter`.
public enum PrettyJSON {
    public static func text(_ value: JSONValue, indent: String = "") -> String {
        let inner = indent + "  "
        switch value {
        case .object(let members) where !members.isEmpty:
            let lines = members.map { inner + scalar(.string($0.key)) + ": " + text($0.value, indent: inner) }
            return "{\n" + lines.joined(separator: ",\n") + "\n" + indent + "}"
        case .array(let items) where !items.isEmpty:
            return "[\n" + items.map { inner + text($0, indent: inner) }.joined(separator: ",\n") + "\n" + indent + "]"
        default:
            return scalar(value)
        }
    }

    private static func scalar(_ value: JSONValue) -> String {
        String(decoding: JSONWriter.encode(value), as: UTF8.self)
    }
}
