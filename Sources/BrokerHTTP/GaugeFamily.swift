import Prometheus

/// One gauge name with label sets that come and go (nodes, counties): each scrape sets every label set it has and
/// zeroes those it had before and no longer has, so a county whose last overdue deadline closed shows 0, not its
/// old value.
final class GaugeFamily {
    let name: String
    let help: String
    private var seen: [[String]: Gauge] = [:]
    private let labelNames: [String]

    init(_ name: String, labels: [String], help: String) {
        (self.name, self.labelNames, self.help) = (name, labels, help)
    }

    /// Sets the family to exactly `values` (label values in `labels` order), in `registry`.
    func set(_ values: [[String]: Double], in registry: PrometheusCollectorRegistry) {
        for (labels, value) in values {
            let gauge =
                seen[labels]
                ?? registry.makeGauge(name: name, labels: Array(zip(labelNames, labels)), help: help)
            seen[labels] = gauge
            gauge.set(to: value)
        }
        for (labels, gauge) in seen where values[labels] == nil { gauge.set(to: 0) }
    }
}

/// A counter the machine tallies (absolute counts since start): the registry's counter is moved by what the count
/// grew since the last scrape, so Prometheus sees an ordinary monotonic counter.
final class CounterFamily {
    let name: String
    let help: String
    private let labelNames: [String]
    private var counters: [[String]: (counter: Counter, value: Int64)] = [:]

    init(_ name: String, labels: [String], help: String) {
        (self.name, self.labelNames, self.help) = (name, labels, help)
    }

    func set(_ values: [[String]: Int64], in registry: PrometheusCollectorRegistry) {
        for (labels, value) in values {
            var entry =
                counters[labels]
                ?? (registry.makeCounter(name: name, labels: Array(zip(labelNames, labels)), help: help), 0)
            if value > entry.value { entry.counter.increment(by: value - entry.value) }
            entry.value = max(entry.value, value)
            counters[labels] = entry
        }
    }
}
