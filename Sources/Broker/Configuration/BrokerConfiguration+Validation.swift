import Foundation
import ReferralProtocol

extension BrokerConfiguration {
    static let logLevels = ["trace", "debug", "info", "notice", "warning", "error", "critical"]

    /// Checks every field; the first problem is thrown, naming the field.
    public func validate(source: String) throws(ConfigurationError) {
        func fail(_ field: String, _ problem: String) -> ConfigurationError {
            ConfigurationError(file: source, field: field, reason: problem)
        }
        guard (1...64).contains(instance.count), instance.allSatisfy(Self.isInstanceCharacter) else {
            throw fail("instance", "must be 1 to 64 of A-Z a-z 0-9 . _ -, got '\(instance)'")
        }
        guard endpoint.hasPrefix("tcp://") || endpoint.hasPrefix("ipc://") else {
            throw fail("endpoint", "must start with tcp:// or ipc://, got '\(endpoint)'")
        }
        guard resolvedAdminEndpoint.hasPrefix("ipc://") else {
            throw fail("admin_endpoint", "must be an ipc:// endpoint so that file permissions protect it")
        }
        guard !dataDirectory.isEmpty else { throw fail("data_directory", "must not be empty") }
        guard (100...600_000).contains(heartbeatMs) else { throw fail("heartbeat_ms", "must be 100...600000") }
        guard (2...100).contains(liveness) else { throw fail("liveness", "must be 2...100") }
        guard (100...86_400_000).contains(ackTimeoutMs) else { throw fail("ack_timeout_ms", "must be 100...86400000") }
        guard (1...3_600_000).contains(redelivery.initialMs) else {
            throw fail("redelivery.initial_ms", "must be 1...3600000")
        }
        guard redelivery.maxMs >= redelivery.initialMs else {
            throw fail("redelivery.max_ms", "must be at least redelivery.initial_ms")
        }
        guard (1...1_000).contains(redelivery.maxAttempts) else {
            throw fail("redelivery.max_attempts", "must be 1...1000")
        }
        guard (1_024...1_048_576).contains(limits.maxHeaderBytes) else {
            throw fail("limits.max_header_bytes", "must be 1024...1048576")
        }
        guard (0...(64 << 20)).contains(limits.maxBodyBytes) else {
            throw fail("limits.max_body_bytes", "must be 0...67108864")
        }
        guard (1...10_000).contains(limits.maxRecipients) else {
            throw fail("limits.max_recipients", "must be 1...10000")
        }
        guard (1...100_000).contains(limits.maxWindow) else { throw fail("limits.max_window", "must be 1...100000") }
        guard maxPendingAccepts >= 1 else { throw fail("max_pending_accepts", "must be at least 1") }
        guard messageCacheBytes >= 0 else { throw fail("message_cache_bytes", "must not be negative") }
        guard (1...1_000_000).contains(deliveryMemory) else { throw fail("delivery_memory", "must be 1...1000000") }
        guard (1...1_000_000).contains(receiptMemory) else { throw fail("receipt_memory", "must be 1...1000000") }
        guard Self.logLevels.contains(logLevel) else {
            throw fail("log_level", "must be one of \(Self.logLevels.joined(separator: ", "))")
        }
        guard ["json", "text"].contains(logFormat) else { throw fail("log_format", "must be json or text") }
        guard !directoryFile.isEmpty else { throw fail("directory_file", "must name the agency directory file") }
        if !insecurePlaintext && curveSecretKeyFile.isEmpty {
            throw fail(
                "curve.secret_key_file",
                "is required: every endpoint uses CURVE (generate one with `referralctl keygen`); "
                    + "plaintext only with the development flag insecure_plaintext")
        }
        guard (500...60_000).contains(handshakeTimeoutMs) else {
            throw fail("handshake_timeout_ms", "must be 500...60000")
        }
        guard (100...86_400_000).contains(followUpDayMs) else {
            throw fail("followup_day_ms", "must be 100...86400000 (86400000, a real day, outside tests)")
        }
        guard (1...1_000_000).contains(rateLimit.messagesPerSecond) else {
            throw fail("rate_limit.messages_per_second", "must be 1...1000000")
        }
        guard rateLimit.burst >= 1 else { throw fail("rate_limit.burst", "must be at least 1") }
        for (field, value) in [
            ("retention.closed_case_body_ms", retention.closedCaseBodyMs),
            ("retention.caseless_body_ms", retention.caselessBodyMs),
            ("retention.dead_letter_body_ms", retention.deadLetterBodyMs),
        ] where !(0...Retention.maxPeriodMs).contains(value) {
            throw fail(field, "must be 0 (keep forever) or a period in ms up to \(Retention.maxPeriodMs) (100 years)")
        }
        guard (100...86_400_000).contains(retention.purgeIntervalMs) else {
            throw fail("retention.purge_interval_ms", "must be 100...86400000")
        }
        guard (1...100_000).contains(retention.purgeBatch) else {
            throw fail("retention.purge_batch", "must be 1...100000")
        }
        guard (0...3_600_000).contains(storeLockWaitMs) else {
            throw fail("store_lock_wait_ms", "must be 0...3600000")
        }
        guard auditVerifyIntervalMs == 0 || (60_000...604_800_000).contains(auditVerifyIntervalMs) else {
            throw fail("audit_verify_interval_ms", "must be 0 (off) or 60000...604800000 (a minute to a week)")
        }
        try http.validate(source: source)
        do throws(ConfigurationError) { try store.validate() } catch { throw error.found(in: source) }
    }

    /// What the delivery scheduler needs from this configuration.
    var limitsForCodec: ReferralProtocol.Limits {
        var codec = ReferralProtocol.Limits.default
        codec.maxHeaderBytes = limits.maxHeaderBytes
        codec.maxBodyBytes = limits.maxBodyBytes
        codec.maxRecipients = limits.maxRecipients
        codec.maxWindow = limits.maxWindow
        return codec
    }
}
