import CoreMetrics

/// The store thread's histograms (METRICS-CONTRACT): each group commit's duration and how many units of work
/// (messages, settlements, ...) it carried. Recorded through swift-metrics with the factory the daemon gives
/// (Prometheus in referrald); without one, nothing is recorded.
public struct StoreMetrics: Sendable {
    public static let commitSeconds = "referral_store_commit_seconds"
    public static let batchSize = "referral_store_batch_size"

    let commit: CoreMetrics.Timer?
    let batch: Recorder?

    public init(factory: (any MetricsFactory)?) {
        guard let factory else {
            (commit, batch) = (nil, nil)
            return
        }
        commit = CoreMetrics.Timer(label: Self.commitSeconds, factory: factory)
        batch = Recorder(label: Self.batchSize, aggregate: true, factory: factory)
    }

    func recordCommit(nanoseconds: Int64, units: Int) {
        commit?.recordNanoseconds(nanoseconds)
        batch?.record(units)
    }
}
