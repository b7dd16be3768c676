import ReferralProtocol

/// Where the broker keeps its durable state (`"store"` in referrald.json; docs/POSTGRES-PLAN.md §8). Absent, or
/// `"backend": "sqlite"`: `broker.sqlite` in `data_directory`, one machine, as always. `"postgresql"`: a cluster
/// several referrald instances share, one of them active under a lease. Pure values: reading the file is in
/// `StoreSettings+File.swift`, the password (a file or the environment) in `PostgreSQLSettings+Password.swift`.
public struct StoreSettings: Sendable, Hashable {
    public enum Backend: Sendable, Hashable {
        case sqlite
        case postgresql(PostgreSQLSettings, LeaseSettings)
    }

    public var backend: Backend

    public init(backend: Backend = .sqlite) { self.backend = backend }

    /// `store.backend` as the file spells it.
    public var backendName: String {
        switch backend {
        case .sqlite: "sqlite"
        case .postgresql: "postgresql"
        }
    }

    /// Checks every field; the first problem is thrown, naming the field (`store.…`).
    public func validate() throws(ConfigurationError) {
        guard case .postgresql(let database, let lease) = backend else { return }
        try database.validate()
        try lease.validate()
    }
}

/// `store.postgresql`: the cluster and how to reach it. The password is not here: it comes from `password_file`
/// or the environment (`PostgreSQLSettings.password(environment:)`), so it can never be printed with the rest.
public struct PostgreSQLSettings: Sendable, Hashable {
    /// `store.postgresql.tls`.
    public enum TLS: String, Sendable, Hashable, CaseIterable {
        /// Plaintext: allowed only when every host is a loopback address.
        case disable
        /// Encrypted, the server's certificate not checked.
        case require
        /// Encrypted, the certificate checked against `ca_file` and the host name.
        case verifyFull = "verify-full"
    }

    /// `store.postgresql.synchronous_commit`: only the levels at which a commit that returned survives the loss of
    /// the primary database machine (with a synchronous standby configured).
    public enum SynchronousCommit: String, Sendable, Hashable, CaseIterable {
        case on
        case remoteApply = "remote_apply"
    }

    static let maxHosts = 8

    /// Tried in order; the first read-write server is kept (what libpq's `target_session_attrs=read-write` does).
    public var hosts: [PostgreSQLHost]
    public var database = "referral"
    public var user = "referral"
    /// A file holding the password (mode 0600 or stricter); empty: `REFERRALD_PG_PASSWORD`, else none.
    public var passwordFile = ""
    public var tls = TLS.verifyFull
    /// The certificate authorities `verify-full` trusts (PEM).
    public var caFile = ""
    public var synchronousCommit = SynchronousCommit.on
    public var connectTimeoutMs = 2_000

    public init(hosts: [PostgreSQLHost]) { self.hosts = hosts }

    func validate() throws(ConfigurationError) {
        func fail(_ key: String, _ problem: String) -> ConfigurationError {
            ConfigurationError(field: "store.postgresql.\(key)", reason: problem)
        }
        guard (1...Self.maxHosts).contains(hosts.count) else {
            throw fail("hosts", "must list 1 to \(Self.maxHosts) servers (host:port), got \(hosts.count)")
        }
        for (index, host) in hosts.enumerated() where hosts[..<index].contains(host) {
            throw fail("hosts[\(index)]", "lists \(host) a second time")
        }
        for (key, name) in [("database", database), ("user", user)] {
            guard (1...63).contains(name.utf8.count), !name.unicodeScalars.contains(where: { $0.value < 0x20 }) else {
                throw fail(key, "must be a name of 1 to 63 bytes without control characters")
            }
        }
        switch tls {
        case .verifyFull where caFile.isEmpty:
            throw fail(
                "ca_file",
                "is required with tls verify-full (the default): the certificate authority that signed "
                    + "the database servers' certificates")
        case .require, .disable:
            guard caFile.isEmpty else {
                throw fail(
                    "ca_file", "is only used with tls verify-full; with \(tls.rawValue) no certificate is checked")
            }
        default: break
        }
        if tls == .disable, let remote = hosts.first(where: { !$0.isLoopback }) {
            throw fail(
                "tls",
                "must be require or verify-full when a host is not a loopback address (\(remote)): the "
                    + "messages travel to the database in the clear otherwise (disable only with 127.0.0.1, ::1 "
                    + "or localhost)")
        }
        guard (100...60_000).contains(connectTimeoutMs) else { throw fail("connect_timeout_ms", "must be 100...60000") }
    }
}

/// One entry of `store.postgresql.hosts`: `host:port`, `[v6]:port`, or a host alone (port 5432).
public struct PostgreSQLHost: Sendable, Hashable, CustomStringConvertible {
    public static let defaultPort = 5_432

    public var host: String
    public var port: Int

    public init(host: String, port: Int = Self.defaultPort) {
        self.host = host
        self.port = port
    }

    /// Parses one entry; nil when it is not one of the forms above (a bare IPv6 address is ambiguous: brackets).
    public init?(parsing text: String) {
        var host: Substring
        var portText: Substring?
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return nil }
            host = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            guard host.contains(":") else { return nil }
            if !rest.isEmpty {
                guard rest.hasPrefix(":") else { return nil }
                portText = rest.dropFirst()
            }
            guard host.allSatisfy({ $0.isHexDigit || $0 == ":" || $0 == "." }) else { return nil }
        } else {
            if let colon = text.firstIndex(of: ":") {
                host = text[..<colon]
                portText = text[text.index(after: colon)...]
            } else {
                host = text[...]
            }
            let allowed = { (c: Character) in
                c.isASCII && (c.isLetter || c.isNumber || c == "." || c == "-" || c == "_")
            }
            guard host.allSatisfy(allowed) else { return nil }
        }
        guard !host.isEmpty, host.utf8.count <= 253 else { return nil }
        var port = Self.defaultPort
        if let portText {
            guard let number = Int(portText), (1...65_535).contains(number), portText.allSatisfy(\.isNumber) else {
                return nil
            }
            port = number
        }
        self.init(host: String(host), port: port)
    }

    /// As the file writes it (brackets around an IPv6 address, the port always).
    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    /// Whether this host only reaches this machine (127.0.0.0/8, ::1, localhost).
    public var isLoopback: Bool { HTTPSettings.isLoopback(host) }
}

/// `store.lease`: how the active instance holds the database lease and how fast a standby takes over
/// (docs/POSTGRES-PLAN.md §5). A standby takes over at most about `ttl_ms` + `standby_poll_ms` after the active
/// instance stopped renewing.
public struct LeaseSettings: Sendable, Hashable {
    public var ttlMs = 3_000
    public var renewMs = 1_000
    public var standbyPollMs = 500

    public init() {}

    func validate() throws(ConfigurationError) {
        func fail(_ key: String, _ problem: String) -> ConfigurationError {
            ConfigurationError(field: "store.lease.\(key)", reason: problem)
        }
        guard (1_000...120_000).contains(ttlMs) else { throw fail("ttl_ms", "must be 1000...120000") }
        // Two renewals fit in one lease: one that fails (a slow query, a reconnect) does not lose it.
        guard renewMs >= 100, renewMs * 2 < ttlMs else {
            throw fail("renew_ms", "must be at least 100 and less than half of store.lease.ttl_ms (\(ttlMs))")
        }
        guard standbyPollMs >= 50, standbyPollMs < ttlMs else {
            throw fail("standby_poll_ms", "must be at least 50 and less than store.lease.ttl_ms (\(ttlMs))")
        }
    }
}
