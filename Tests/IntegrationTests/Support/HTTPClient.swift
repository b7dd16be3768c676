import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// A plain HTTP GET over loopback with Foundation's client, for the daemon's /health, /ready and /metrics.
/// HTTPS goes through curl (`Tool`), which is told the test's own CA file.
enum HTTPGet {
    struct Answer: Sendable {
        var status: Int
        var body: String
        var contentType: String?
    }

    static func get(_ address: String, _ path: String, token: String? = nil) async throws -> Answer {
        var request = URLRequest(url: URL(string: "http://\(address)\(path)")!)
        request.timeoutInterval = 10
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        let session = URLSession(configuration: .ephemeral)
        defer { session.finishTasksAndInvalidate() }
        let (data, response) = try await session.data(for: request)
        let http = response as? HTTPURLResponse
        return Answer(
            status: http?.statusCode ?? 0, body: String(decoding: data, as: UTF8.self),
            contentType: http?.value(forHTTPHeaderField: "Content-Type"))
    }

    /// The value of the sample of `name` whose labels include every one of `labels` (nil: none).
    static func sample(_ exposition: String, _ name: String, _ labels: [String: String] = [:]) -> Double? {
        for line in exposition.split(separator: "\n") where !line.hasPrefix("#") {
            let text = String(line)
            guard text.hasPrefix(name + "{") || text.hasPrefix(name + " ") else { continue }
            guard labels.allSatisfy({ text.contains("\($0.key)=\"\($0.value)\"") }) else { continue }
            return text.split(separator: " ").last.flatMap { Double($0) }
        }
        return nil
    }
}
