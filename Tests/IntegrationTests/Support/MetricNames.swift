/// The metrics referrald serves at GET /metrics (the contract the alert rules and the Grafana dashboard are written
/// against; deploy/README.md, "Metrics"). Histograms also serve `_bucket`, `_sum` and `_count`.
enum MetricNames {
    static let counters: Set<String> = [
        "referral_messages_accepted_total", "referral_messages_delivered_total",
        "referral_messages_acknowledged_total", "referral_messages_rejected_total",
        "referral_messages_dead_lettered_total", "referral_escalations_sent_total", "referral_auth_failures_total",
    ]
    static let gauges: Set<String> = [
        "referral_node_connected", "referral_node_last_seen_timestamp_seconds", "referral_node_backlog",
        "referral_node_unacknowledged", "referral_nodes_connected", "referral_dead_letters", "referral_held_cases",
        "referral_cases_open", "referral_deadlines_open", "referral_deadlines_overdue", "referral_store_size_bytes",
        "referral_store_disk_free_bytes", "referral_audit_chain_intact", "referral_audit_last_verify_timestamp_seconds",
        "referral_ready", "referral_build_info",
    ]
    static let histograms: Set<String> = ["referral_store_commit_seconds", "referral_store_batch_size"]

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
