import Broker
import Foundation
import Prometheus
import ReferralProtocol
import Synchronization

/// /metrics (METRICS-CONTRACT.md): every scrape asks the poll thread for STATUS and STATS through
/// `BrokerQueries` (the machine's gauges and tallies, the store's aggregates read on the store thread), reads the
/// store's file sizes and free disk, and writes the registry (which also holds the store thread's commit
/// histograms) in Prometheus text format 0.0.4. Names and labels are the contract's; never a case or message id.
public final class BrokerMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    private let families = Mutex(Families())
    private let storePath: String
    private let dataDirectory: String

    /// The registry the store thread's histograms must be made in (`factory`), with the contract's buckets.
    public init(storePath: String, dataDirectory: String) {
        registry = PrometheusCollectorRegistry()
        self.storePath = storePath
        self.dataDirectory = dataDirectory
    }

    /// The swift-metrics factory for the store thread's histograms (`StoreMetrics`), writing into `registry`.
    public var factory: PrometheusMetricsFactory {
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.durationHistogramBuckets[StoreMetrics.commitSeconds] = [
            .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10),
            .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
            .seconds(1), .seconds(2.5),
        ]
        factory.valueHistogramBuckets[StoreMetrics.batchSize] = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1_000, 2_500]
        return factory
    }

    /// The exposition now. `ready` is what /ready would answer; STATUS and STATS are asked only while the broker
    /// runs (before its store is open, the scrape still tells `referral_ready 0`, the build and the disk).
    /// `storeRole`: the backend and this instance's lease (nil: not told, as in tests of the listener alone).
    public func scrape(queries: BrokerQueries, ready: Bool, storeRole: StoreRoleFacts? = nil) async -> [UInt8] {
        var status: AdminStatus?
        var stats: AdminStats?
        if case .ok(.status(let answer))? = try? await queries.ask(.status) { status = answer }
        if case .ok(.stats(let answer))? = try? await queries.ask(.stats) { stats = answer }
        let files = StoreFiles(storePath: storePath, dataDirectory: dataDirectory)
        return families.withLock { families in
            families.update(registry, status: status, stats: stats, files: files, ready: ready)
            if let storeRole { families.update(registry, storeRole: storeRole) }
            return registry.emitToBuffer()
        }
    }
}

/// The store's size and its file system's free space, read at scrape (stat and statvfs: no SQLite).
struct StoreFiles {
    var sizeBytes: Double
    var diskFreeBytes: Double?

    init(storePath: String, dataDirectory: String) {
        func size(_ path: String) -> Double {
            var info = stat()
            return stat(path, &info) == 0 ? Double(info.st_size) : 0
        }
        sizeBytes = size(storePath) + size(storePath + "-wal")
        var fs = statvfs()
        diskFreeBytes = statvfs(dataDirectory, &fs) == 0 ? Double(fs.f_bavail) * Double(fs.f_frsize) : nil
    }
}
