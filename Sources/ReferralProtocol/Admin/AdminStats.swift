/// STATS (protocols/ADMIN-1.md): the numbers behind the HTTP listener's /metrics, for operators without
/// Prometheus. Counters since the broker started, each node's last traffic, and aggregates of the store: open
/// cases by status, open and overdue deadlines by county and risk. Fixed labels only, never an id of a case or
/// message.
public struct AdminStats: Sendable, Hashable {
    /// A count of messages of one kind for one agency.
    public struct KindCount: Sendable, Hashable {
        public var kind: String
        public var agency: String
        public var count: Int64

        public init(kind: String, agency: String, count: Int64) {
            (self.kind, self.agency, self.count) = (kind, agency, count)
        }
    }

    /// A count under one label value (a code, a risk level, a reason, a status).
    public struct LabelCount: Sendable, Hashable {
        public var label: String
        public var count: Int64

        public init(label: String, count: Int64) { (self.label, self.count) = (label, count) }
    }

    /// The counters since the broker started (`started_at`).
    public struct Counters: Sendable, Hashable {
        public var accepted: [KindCount]
        public var delivered: [KindCount]
        public var acknowledged: [KindCount]
        public var deadLettered: [KindCount]
        /// By code.
        public var rejected: [LabelCount]
        /// By risk.
        public var escalationsSent: [LabelCount]
        /// By reason.
        public var authFailures: [LabelCount]

        public init(
            accepted: [KindCount] = [], delivered: [KindCount] = [], acknowledged: [KindCount] = [],
            deadLettered: [KindCount] = [], rejected: [LabelCount] = [], escalationsSent: [LabelCount] = [],
            authFailures: [LabelCount] = []
        ) {
            self.accepted = accepted
            self.delivered = delivered
            self.acknowledged = acknowledged
            self.deadLettered = deadLettered
            self.rejected = rejected
            self.escalationsSent = escalationsSent
            self.authFailures = authFailures
        }
    }

    /// A node's last traffic since the broker started.
    public struct LastSeen: Sendable, Hashable {
        public var node: String
        public var at: Int64

        public init(node: String, at: Int64) { (self.node, self.at) = (node, at) }
    }

    /// Open deadlines of one county (6-digit division code of the late party's county) and risk level.
    public struct Deadlines: Sendable, Hashable {
        public var county: String
        public var risk: String
        public var open: Int64
        /// Due or escalated, as OVERDUE counts them.
        public var overdue: Int64

        public init(county: String, risk: String, open: Int64, overdue: Int64) {
            (self.county, self.risk, self.open, self.overdue) = (county, risk, open, overdue)
        }
    }

    /// The last AUDIT-VERIFY since the broker started.
    public struct AuditCheck: Sendable, Hashable {
        public var at: Int64
        public var intact: Bool

        public init(at: Int64, intact: Bool) { (self.at, self.intact) = (at, intact) }
    }

    public var startedAt: Int64
    public var counters: Counters
    public var lastSeen: [LastSeen]
    /// Tracked cases not completed, failed or cancelled, by FHIR status.
    public var casesOpen: [LabelCount]
    public var deadlines: [Deadlines]
    public var audit: AuditCheck?

    public init(
        startedAt: Int64, counters: Counters, lastSeen: [LastSeen], casesOpen: [LabelCount], deadlines: [Deadlines],
        audit: AuditCheck?
    ) {
        self.startedAt = startedAt
        self.counters = counters
        self.lastSeen = lastSeen
        self.casesOpen = casesOpen
        self.deadlines = deadlines
        self.audit = audit
    }
}

extension AdminCodec {
    static func statsJSON(_ stats: AdminStats) -> JSONValue {
        func kinds(_ counts: [AdminStats.KindCount]) -> JSONValue {
            .array(counts.map { object(["kind": $0.kind, "agency": $0.agency, "count": $0.count]) })
        }
        func labels(_ name: String, _ counts: [AdminStats.LabelCount]) -> JSONValue {
            .array(counts.map { object([name: $0.label, "count": $0.count]) })
        }
        let counters = stats.counters
        return object([
            "started_at": stats.startedAt,
            "counters": object([
                "accepted": kinds(counters.accepted), "delivered": kinds(counters.delivered),
                "acknowledged": kinds(counters.acknowledged), "dead_lettered": kinds(counters.deadLettered),
                "rejected": labels("code", counters.rejected),
                "escalations_sent": labels("risk", counters.escalationsSent),
                "auth_failures": labels("reason", counters.authFailures),
            ]),
            "last_seen": JSONValue.array(stats.lastSeen.map { object(["node": $0.node, "at": $0.at]) }),
            "cases_open": labels("status", stats.casesOpen),
            "deadlines": JSONValue.array(
                stats.deadlines.map {
                    object(["county": $0.county, "risk": $0.risk, "open": $0.open, "overdue": $0.overdue])
                }),
            "audit": stats.audit.map { object(["verified_at": $0.at, "intact": $0.intact]) },
        ])
    }

    static func stats(_ object: AdminObjectReader) throws(Malformed) -> AdminStats {
        func kinds(_ reader: AdminObjectReader, _ key: String) throws(Malformed) -> [AdminStats.KindCount] {
            try reader.objects(key) { (entry) throws(Malformed) in
                AdminStats.KindCount(
                    kind: try entry.string("kind"), agency: try entry.string("agency"),
                    count: try entry.integer("count"))
            }
        }
        func labels(_ reader: AdminObjectReader, _ key: String, _ name: String) throws(Malformed)
            -> [AdminStats.LabelCount]
        {
            try reader.objects(key) { (entry) throws(Malformed) in
                AdminStats.LabelCount(label: try entry.string(name), count: try entry.integer("count"))
            }
        }
        let counters = try object.object("counters")
        let audit: AdminStats.AuditCheck? =
            if let check = try object.optionalObject("audit") {
                AdminStats.AuditCheck(at: try check.integer("verified_at"), intact: try check.bool("intact"))
            } else {
                nil
            }
        return AdminStats(
            startedAt: try object.integer("started_at"),
            counters: AdminStats.Counters(
                accepted: try kinds(counters, "accepted"), delivered: try kinds(counters, "delivered"),
                acknowledged: try kinds(counters, "acknowledged"), deadLettered: try kinds(counters, "dead_lettered"),
                rejected: try labels(counters, "rejected", "code"),
                escalationsSent: try labels(counters, "escalations_sent", "risk"),
                authFailures: try labels(counters, "auth_failures", "reason")),
            lastSeen: try object.objects("last_seen") { (entry) throws(Malformed) in
                AdminStats.LastSeen(node: try entry.string("node"), at: try entry.integer("at"))
            },
            casesOpen: try labels(object, "cases_open", "status"),
            deadlines: try object.objects("deadlines") { (entry) throws(Malformed) in
                AdminStats.Deadlines(
                    county: try entry.string("county"), risk: try entry.string("risk"), open: try entry.integer("open"),
                    overdue: try entry.integer("overdue"))
            },
            audit: audit)
    }
}
