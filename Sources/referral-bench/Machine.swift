import Foundation

/// What the results were measured on, including how busy the machine was (other work skews every figure).
struct MachineInfo: Codable, Sendable {
    var cpu: String
    var cores: Int
    var memoryGiB: Double
    var loadAverageBefore: String
    var loadAverageAfter: String?
    var nodeFsyncCounting: Bool

    enum CodingKeys: String, CodingKey {
        case cpu, cores
        case memoryGiB = "memory_gib"
        case loadAverageBefore = "load_average_before"
        case loadAverageAfter = "load_average_after"
        case nodeFsyncCounting = "node_fsync_counting"
    }

    static func current() -> MachineInfo {
        let cpuinfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        let model =
            cpuinfo.split(separator: "\n").first { $0.hasPrefix("model name") }
            .flatMap { $0.split(separator: ":", maxSplits: 1).last }
            .map { $0.trimmingCharacters(in: .whitespaces) } ?? "unknown"
        return MachineInfo(
            cpu: model, cores: ProcessInfo.processInfo.activeProcessorCount,
            memoryGiB: (Double(ProcessInfo.processInfo.physicalMemory) / Double(1 << 30) * 10).rounded() / 10,
            loadAverageBefore: loadAverage(), loadAverageAfter: nil, nodeFsyncCounting: SyncCounter.isActive)
    }

    /// The 1, 5 and 15 minute load averages.
    static func loadAverage() -> String {
        let text = (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8)) ?? ""
        return text.split(separator: " ").prefix(3).joined(separator: " ")
    }
}
