import Broker
import Prometheus
import ReferralProtocol

/// The contract's metrics as registry collectors, updated from one scrape's answers.
struct Families {
    let accepted = CounterFamily(
        "referral_messages_accepted_total", labels: ["kind", "agency"],
        help: "Messages committed and ACCEPTED (duplicates not counted), by kind and the sender's agency.")
    let delivered = CounterFamily(
        "referral_messages_delivered_total", labels: ["kind", "agency"],
        help: "Deliveries sent (DELIVER), by kind and the recipient's agency.")
    let acknowledged = CounterFamily(
        "referral_messages_acknowledged_total", labels: ["kind", "agency"],
        help: "Deliveries ACKed by the recipient, by kind and the recipient's agency.")
    let rejected = CounterFamily(
        "referral_messages_rejected_total", labels: ["code"], help: "SENDs refused (REJECTED or ERROR), by code.")
    let deadLettered = CounterFamily(
        "referral_messages_dead_lettered_total", labels: ["kind", "agency"],
        help: "Deliveries that became dead letters, by kind and the recipient's agency.")
    let escalations = CounterFamily(
        "referral_escalations_sent_total", labels: ["risk"], help: "escalation.notice messages the broker sent.")
    let authFailures = CounterFamily(
        "referral_auth_failures_total", labels: ["reason"], help: "Handshake, key or identity failures.")
    let nodeConnected = GaugeFamily(
        "referral_node_connected", labels: ["node", "agency"], help: "1 if the node has a session now, else 0.")
    let nodeLastSeen = GaugeFamily(
        "referral_node_last_seen_timestamp_seconds", labels: ["node", "agency"],
        help: "Unix time of the node's last traffic (0: never since the broker started).")
    let nodeBacklog = GaugeFamily(
        "referral_node_backlog", labels: ["node", "agency"],
        help: "Deliveries waiting to be sent to the node (held ones included).")
    let nodeUnacknowledged = GaugeFamily(
        "referral_node_unacknowledged", labels: ["node", "agency"],
        help: "Deliveries sent to the node and not yet answered.")
    let casesOpen = GaugeFamily(
        "referral_cases_open", labels: ["status"], help: "Tracked cases not completed, failed or cancelled, by status.")
    let deadlinesOpen = GaugeFamily(
        "referral_deadlines_open", labels: ["county", "risk"], help: "Open deadlines by county and risk.")
    let deadlinesOverdue = GaugeFamily(
        "referral_deadlines_overdue", labels: ["county", "risk"],
        help: "Open deadlines that are due or escalated (as OVERDUE counts them), by county and risk.")
    let leaseRenewals = CounterFamily(
        "referral_lease_renewals_total", labels: ["result"],
        help: "Lease renewals by this instance (PostgreSQL): ok, lost (another instance holds it), error.")

    /// The store's backend and this instance's lease, from the lease thread's memory (never a database read).
    func update(_ registry: PrometheusCollectorRegistry, storeRole: StoreRoleFacts) {
        registry.makeGauge(
            name: "referral_store_backend_info", labels: [("backend", storeRole.backend)],
            help: "The store's backend (always 1)."
        ).set(to: 1)
        registry.makeGauge(
            name: "referral_broker_active",
            help: "1 when this instance is the active one (holds the lease; SQLite: runs), 0 on a standby."
        ).set(to: storeRole.active ? 1 : 0)
        guard storeRole.backend == "postgresql" else { return }
        if let epoch = storeRole.leaseEpoch {
            registry.makeGauge(name: "referral_lease_epoch", help: "The lease epoch this instance holds.")
                .set(to: Double(epoch))
        }
        leaseRenewals.set(
            [
                ["ok"]: Int64(storeRole.renewalsOk), ["lost"]: Int64(storeRole.renewalsLost),
                ["error"]: Int64(storeRole.renewalsFailed),
            ], in: registry)
    }

    mutating func update(
        _ registry: PrometheusCollectorRegistry, status: AdminStatus?, stats: AdminStats?, files: StoreFiles,
        ready: Bool
    ) {
        registry.makeGauge(name: "referral_ready", help: "1 when /ready would answer 200.").set(to: ready ? 1 : 0)
        registry.makeGauge(
            name: "referral_build_info", labels: [("version", ProductVersion.string)],
            help: "The broker's version (always 1)."
        ).set(to: 1)
        registry.makeGauge(name: "referral_store_size_bytes", help: "Store file and WAL size.").set(to: files.sizeBytes)
        if let free = files.diskFreeBytes {
            registry.makeGauge(
                name: "referral_store_disk_free_bytes", help: "Free bytes on the store's file system (statvfs)."
            ).set(to: free)
        }
        if let status { update(registry, status: status, lastSeen: stats?.lastSeen ?? []) }
        if let stats { update(registry, stats: stats) }
    }

    private func update(_ registry: PrometheusCollectorRegistry, status: AdminStatus, lastSeen: [AdminStats.LastSeen]) {
        let seen = Dictionary(lastSeen.map { ($0.node, $0.at) }, uniquingKeysWith: { max($0, $1) })
        var connected: [[String]: Double] = [:]
        var lastSeenSeconds: [[String]: Double] = [:]
        var backlog: [[String]: Double] = [:]
        var unacknowledged: [[String]: Double] = [:]
        for node in status.nodes {
            let labels = [node.node, node.agency.isEmpty ? "unknown" : node.agency]
            connected[labels] = node.connected ? 1 : 0
            lastSeenSeconds[labels] = Double(seen[node.node] ?? 0) / 1_000
            backlog[labels] = Double(node.pending)
            unacknowledged[labels] = Double(node.inFlight)
        }
        nodeConnected.set(connected, in: registry)
        nodeLastSeen.set(lastSeenSeconds, in: registry)
        nodeBacklog.set(backlog, in: registry)
        nodeUnacknowledged.set(unacknowledged, in: registry)
        registry.makeGauge(name: "referral_nodes_connected", help: "Nodes with a session now.")
            .set(to: Double(status.nodes.filter(\.connected).count))
        registry.makeGauge(name: "referral_dead_letters", help: "Dead letters currently stored.")
            .set(to: Double(status.deadLetters))
        registry.makeGauge(name: "referral_held_cases", help: "Held (case, recipient) lanes.")
            .set(to: Double(status.heldCases.count))
    }

    private func update(_ registry: PrometheusCollectorRegistry, stats: AdminStats) {
        func kinds(_ counts: [AdminStats.KindCount]) -> [[String]: Int64] {
            Dictionary(counts.map { ([$0.kind, $0.agency], $0.count) }, uniquingKeysWith: +)
        }
        func labels(_ counts: [AdminStats.LabelCount]) -> [[String]: Int64] {
            Dictionary(counts.map { ([$0.label], $0.count) }, uniquingKeysWith: +)
        }
        let counters = stats.counters
        accepted.set(kinds(counters.accepted), in: registry)
        delivered.set(kinds(counters.delivered), in: registry)
        acknowledged.set(kinds(counters.acknowledged), in: registry)
        deadLettered.set(kinds(counters.deadLettered), in: registry)
        rejected.set(labels(counters.rejected), in: registry)
        escalations.set(labels(counters.escalationsSent), in: registry)
        authFailures.set(labels(counters.authFailures), in: registry)
        var cases = Dictionary(uniqueKeysWithValues: StoreAggregatesStatuses.open.map { ([$0], 0.0) })
        for entry in stats.casesOpen { cases[[entry.label]] = Double(entry.count) }
        casesOpen.set(cases, in: registry)
        deadlinesOpen.set(
            Dictionary(stats.deadlines.map { ([$0.county, $0.risk], Double($0.open)) }, uniquingKeysWith: +),
            in: registry)
        deadlinesOverdue.set(
            Dictionary(stats.deadlines.map { ([$0.county, $0.risk], Double($0.overdue)) }, uniquingKeysWith: +),
            in: registry)
        if let audit = stats.audit {
            registry.makeGauge(
                name: "referral_audit_chain_intact", help: "1 if the last audit verification passed, 0 if it failed."
            ).set(to: audit.intact ? 1 : 0)
            registry.makeGauge(
                name: "referral_audit_last_verify_timestamp_seconds", help: "Unix time of the last audit verification."
            ).set(to: Double(audit.at) / 1_000)
        }
    }
}

/// The open statuses, always shown (0 when none).
enum StoreAggregatesStatuses {
    static let open = ["requested", "received", "accepted", "rejected", "in-progress", "on-hold"]
}
