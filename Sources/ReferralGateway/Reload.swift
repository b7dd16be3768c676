import Dispatch
import Logging
import ReferralProtocol
import UnixSignals

/// What a SIGHUP does with the configuration file read again: the applications file (always read again), the
/// rate limit and the body limit are swapped in while connections stay open; the settings the listener or the
/// nodes were built from need a restart. Pure.
public struct ReloadPlan: Sendable, Hashable {
    /// Keys that differ from the running gateway's but take effect only at the next start.
    public var ignoredUntilRestart: [String]

    public static func compare(running: GatewayConfiguration, reread: GatewayConfiguration) -> ReloadPlan {
        var ignored: [String] = []
        if running.listen != reread.listen { ignored.append("listen") }
        if running.tlsCertificateFile != reread.tlsCertificateFile { ignored.append("tls_certificate_file") }
        if running.tlsKeyFile != reread.tlsKeyFile { ignored.append("tls_key_file") }
        if running.inboxLeaseMs != reread.inboxLeaseMs { ignored.append("inbox_lease_ms") }
        if running.nodes != reread.nodes { ignored.append("nodes") }
        return ReloadPlan(ignoredUntilRestart: ignored)
    }
}

/// Reads the gateway's configuration file and its applications file again and swaps them into `live`; on any
/// error the running settings stay as they were.
public struct GatewayReloader: Sendable {
    public let path: String
    /// The configuration the gateway started with (its listener and nodes).
    public let running: GatewayConfiguration
    public let live: LiveSettings
    let logger: Logger
    /// Reloads one after the other, off the cooperative pool (they read files).
    let queue = DispatchQueue(label: "referral-gateway.reload")

    public init(path: String, running: GatewayConfiguration, live: LiveSettings, logger: Logger) {
        self.path = path
        self.running = running
        self.live = live
        self.logger = logger
    }

    /// Reads both files and swaps; throws (changing nothing) when either is wrong, or when the gateway listens off
    /// loopback and the file read again has no applications (it would be open until a restart).
    @discardableResult
    public func reload() throws(ConfigurationError) -> (GatewayConfiguration, GatewayApplications?, ReloadPlan) {
        let reread = try GatewayConfiguration.load(path: path)
        if reread.applicationsFile.isEmpty, let address = running.address(),
            !GatewayConfiguration.isLoopback(address.host)
        {
            throw ConfigurationError(
                file: path, field: "applications_file",
                reason: "is required: the gateway listens on \(running.listen) (not loopback) until it is restarted")
        }
        // Checked against the nodes actually hosted: a node added to the file is not there before a restart.
        let applications =
            reread.applicationsFile.isEmpty
            ? nil
            : try GatewayApplications.load(path: reread.applicationsFile, hostedNodes: Set(running.nodes.map(\.id)))
        live.access.withLock { $0.replace(applications: applications, rateLimit: reread.rateLimit) }
        live.maxBodyBytes.store(reread.maxBodyBytes, ordering: .relaxed)
        return (reread, applications, ReloadPlan.compare(running: running, reread: reread))
    }

    /// `reload()`, its outcome logged: what is now in force, what waits for a restart, or why nothing changed.
    public func reloadAndLog() {
        do {
            let (reread, applications, plan) = try reload()
            let names = applications?.applications.map(\.name).joined(separator: ", ")
            logger.notice(
                "reloaded the configuration",
                metadata: [
                    "file": "\(path)",
                    "applications": "\(names.map { "\(applications!.applications.count) (\($0))" } ?? "none")",
                    "rate_limit":
                        "\(Problem.format(reread.rateLimit.requestsPerSecond))/s burst \(reread.rateLimit.burst)",
                    "max_body_bytes": "\(reread.maxBodyBytes)",
                ])
            if !plan.ignoredUntilRestart.isEmpty {
                logger.warning(
                    "changed settings ignored until restart",
                    metadata: ["file": "\(path)", "keys": "\(plan.ignoredUntilRestart.joined(separator: ", "))"])
            }
        } catch {
            logger.error(
                "reload refused, the running settings are kept", metadata: ["error": "\(error.description)"])
        }
    }

    /// Reloads on every SIGHUP until the task is cancelled. The handler is installed before this returns the
    /// task, so a SIGHUP right after start reloads rather than kills the process.
    public func handleHangups() async -> Task<Void, Never> {
        let hangups = await UnixSignalsSequence(trapping: .sighup)
        return Task {
            for await _ in hangups {
                await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
                    queue.async {
                        reloadAndLog()
                        done.resume()
                    }
                }
            }
        }
    }
}
