/// How the PostgreSQL store reaches its database: the hosts to try in order (the first that is not in recovery is
/// the primary, as libpq's `target_session_attrs=read-write`), the credentials and the session settings every
/// connection of the broker makes. The broker's configuration (`store.postgresql` in referrald.json) fills it;
/// tests fill it from a URL (`init(url:)`).
public struct PostgresStoreOptions: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible {
    public struct Host: Sendable, Hashable, CustomStringConvertible {
        public var name: String
        public var port: Int
        public init(_ name: String, port: Int = 5432) {
            self.name = name
            self.port = port
        }
        public var description: String { name.contains(":") ? "[\(name)]:\(port)" : "\(name):\(port)" }
    }

    /// How the connection is encrypted. `verifyFull` checks the server's certificate against `caFile` and its name.
    public enum TLS: Sendable, Hashable {
        case disable
        case require
        case verifyFull(caFile: String)
    }

    public var hosts: [Host]
    public var database: String
    public var user: String
    /// Never logged, never printed.
    public var password: String?
    public var tls: TLS
    /// `on` or `remote_apply`: ACCEPTED only after the synchronous standby has the commit (docs/POSTGRESQL.md).
    public var synchronousCommit: String
    public var connectTimeoutMilliseconds: Int
    /// A statement running longer is cancelled by the server (a stuck batch fails instead of hanging the broker).
    public var statementTimeoutMilliseconds: Int
    /// An open transaction idle longer is ended by the server: a frozen leader's transaction cannot hold the
    /// lease row past its lease (POSTGRES-PLAN §5.2).
    public var idleInTransactionTimeoutMilliseconds: Int
    /// `application_name` of the broker's sessions (`referrald:<instance>`), seen in `pg_stat_activity`.
    public var applicationName: String

    public init(
        hosts: [Host], database: String, user: String, password: String? = nil, tls: TLS = .disable,
        synchronousCommit: String = "on", connectTimeoutMilliseconds: Int = 2000,
        statementTimeoutMilliseconds: Int = 5000, idleInTransactionTimeoutMilliseconds: Int = 1000,
        applicationName: String = "referrald"
    ) {
        self.hosts = hosts
        self.database = database
        self.user = user
        self.password = password
        self.tls = tls
        self.synchronousCommit = synchronousCommit
        self.connectTimeoutMilliseconds = connectTimeoutMilliseconds
        self.statementTimeoutMilliseconds = statementTimeoutMilliseconds
        self.idleInTransactionTimeoutMilliseconds = idleInTransactionTimeoutMilliseconds
        self.applicationName = applicationName
    }

    /// Hosts, database and user; never the password (what logs and errors may show).
    public var description: String {
        "postgresql://\(user)@\(hosts.map(\.description).joined(separator: ","))/\(database)"
    }
    public var debugDescription: String { description }

    /// `postgresql://user[:password]@host[:port][,host[:port]…]/database` (what `scripts/pg-test-cluster url`
    /// prints); TLS off. Nil when the URL does not have that shape.
    public init?(url: String) {
        var rest = Substring(url)
        if rest.hasPrefix("postgresql://") {
            rest = rest.dropFirst("postgresql://".count)
        } else if rest.hasPrefix("postgres://") {
            rest = rest.dropFirst("postgres://".count)
        } else {
            return nil
        }
        if let query = rest.firstIndex(of: "?") { rest = rest[..<query] }
        guard let at = rest.lastIndex(of: "@"), let slash = rest[at...].firstIndex(of: "/") else { return nil }
        let credentials = rest[..<at].split(separator: ":", maxSplits: 1).map { String($0).removingPercentEncoding }
        let database = String(rest[rest.index(after: slash)...])
        var hosts: [Host] = []
        for entry in rest[rest.index(after: at)..<slash].split(separator: ",") {
            guard let host = Self.parseHost(entry) else { return nil }
            hosts.append(host)
        }
        guard let user = credentials.first ?? nil, !user.isEmpty, !hosts.isEmpty, !database.isEmpty else {
            return nil
        }
        self.init(hosts: hosts, database: database, user: user, password: credentials.count > 1 ? credentials[1] : nil)
    }

    /// `host`, `host:port`, `[v6]` or `[v6]:port`.
    static func parseHost(_ text: Substring) -> Host? {
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return nil }
            let name = String(text[text.index(after: text.startIndex)..<close])
            let tail = text[text.index(after: close)...]
            if tail.isEmpty { return Host(name) }
            guard tail.hasPrefix(":"), let port = Int(tail.dropFirst()), (1...65535).contains(port) else { return nil }
            return Host(name, port: port)
        }
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard let name = parts.first, !name.isEmpty, parts.count <= 2 else { return nil }
        if parts.count == 1 { return Host(String(name)) }
        guard let port = Int(parts[1]), (1...65535).contains(port) else { return nil }
        return Host(String(name), port: port)
    }
}

extension String {
    /// Minimal percent-decoding for URL user info (Foundation-free target).
    fileprivate var removingPercentEncoding: String? {
        var bytes: [UInt8] = []
        var iterator = utf8.makeIterator()
        while let byte = iterator.next() {
            if byte == UInt8(ascii: "%") {
                guard let high = iterator.next(), let low = iterator.next(),
                    let value = UInt8(String(decoding: [high, low], as: UTF8.self), radix: 16)
                else { return nil }
                bytes.append(value)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
