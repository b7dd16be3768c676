/// What `referrald run --ready-file PATH` writes once it listens: `{"admin": ..., "endpoint": ..., "pid": ...}`,
/// compact, members sorted by name. Tools that start a broker (the bench, tests, scripts) wait for it to learn
/// the endpoint it bound (with port 0, the one the system chose) and its admin endpoint.
public struct ReadyFile: Sendable, Hashable {
    /// The 1/RBP endpoint the broker bound.
    public var endpoint: String
    /// Its ADMIN-1 endpoint.
    public var admin: String
    public var pid: Int64
    /// The HTTP listener's address (`host:port`, port 0 resolved); nil when it is off.
    public var http: String?

    public init(endpoint: String, admin: String, pid: Int64, http: String? = nil) {
        self.endpoint = endpoint
        self.admin = admin
        self.pid = pid
        self.http = http
    }

    public var bytes: [UInt8] {
        JSONWriter.encode(AdminCodec.object(["endpoint": endpoint, "admin": admin, "pid": pid, "http": http]))
    }

    /// Nil when `bytes` are not a complete ready file (e.g. not yet written).
    public init?(_ bytes: [UInt8]) {
        guard let json = try? JSONReader.parse(bytes, maxDepth: 2), let object = try? AdminObjectReader(json),
            let endpoint = try? object.string("endpoint"), let admin = try? object.string("admin"),
            let pid = try? object.integer("pid")
        else { return nil }
        self.init(endpoint: endpoint, admin: admin, pid: pid, http: try? object.optionalString("http"))
    }
}
