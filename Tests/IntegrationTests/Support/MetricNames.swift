/// The metrics referrald serves at GET /metrics (the contract the alert rules and the Grafana dashboard are written
/// against; deploy/README.md, "Metrics"). Histograms also serve `_bucket`, `_sum` and `_count`.
enum MetricNames {
    static let counters: Set<String> = [
        "referral_messages_accepted_total", "referral_messages_delivered_total",
        "referral_messages_acknowledged_total", "referral_messages_rejected_total",
        "referral_messages_dead_lettered_total", "referral_escalations_sent_total", "referral_auth_failures_total",
        "referral_lease_renewals_total",
    ]
    static let gauges: Set<String> = [
        "referral_node_connected", "referral_node_last_seen_timestamp_seconds", "referral_node_backlog",
        "referral_node_unacknowledged", "referral_nodes_connected", "referral_dead_letters", "referral_held_cases",
        "referral_cases_open", "referral_deadlines_open", "referral_deadlines_overdue", "referral_store_size_bytes",
        "referral_store_disk_free_bytes", "referral_audit_chain_intact", "referral_audit_last_verify_timestamp_seconds",
        "referral_ready", "referral_build_info", "referral_broker_active", "referral_lease_epoch",
        "referral_store_backend_info",
    ]
    static let histograms: Set<String> = ["referral_store_commit_seconds", "referral_store_batch_size"]

    /// The metrics referral-gateway serves at GET /metrics (docs/METRICS.md, "The node gateway").
    static let gateway: Set<String> = [
        "referral_gateway_http_requests_total", "referral_gateway_node_connected", "referral_gateway_sends_total",
        "referral_gateway_inbox_handed_out_total", "referral_gateway_inbox_completed_total",
        "referral_gateway_webhook_deliveries_total", "referral_gateway_webhook_failures_in_a_row",
        "referral_gateway_webhook_dead", "referral_gateway_ready",
    ]
    static let gatewayHistograms: Set<String> = ["referral_gateway_http_request_duration_seconds"]

    /// Every name a PromQL expression over the gateway's metrics may use.
    static var gatewayQueryable: Set<String> {
        gateway.union(gatewayHistograms.flatMap { [$0 + "_bucket", $0 + "_sum", $0 + "_count"] }).union(["up"])
    }

    /// Every name a PromQL expression may use: the above, the histograms' series, and Prometheus's own `up`.
    static var queryable: Set<String> {
        counters.union(gauges).union(histograms.flatMap { [$0 + "_bucket", $0 + "_sum", $0 + "_count"] })
            .union(["up"])
    }

    /// The metric names an expression uses: identifiers that are not functions, keywords, label names (inside
    /// `{…}`, `by (…)`, `on (…)`…), durations or template variables.
    static func used(in expression: String) -> Set<String> {
        var text = expression
        for pattern in [
            #""[^"]*""#, #"\{[^}]*\}"#, #"\[[^\]]*\]"#,
            #"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)"#,
            #"\$\w+"#, #"\b\w+\s*\("#, #"\b\d[\w.]*"#,
        ] {
            text = text.replacingOccurrences(of: pattern, with: " ", options: .regularExpression)
        }
        let keywords: Set<String> = ["and", "or", "unless", "bool", "offset", "inf", "nan"]
        return Set(text.split { !($0.isLetter || $0.isNumber || $0 == "_" || $0 == ":") }.map(String.init))
            .subtracting(keywords)
    }
}
