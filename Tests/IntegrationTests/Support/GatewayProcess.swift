import Foundation
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

#if canImport(Glibc)
    import Glibc
#endif

/// A real `referral-gateway` process of a test: its configuration file (listening on 127.0.0.1:0, hosting the
/// given nodes from their node files), its log, and the URL it printed once listening.
struct GatewayProcess {
    let process: Process
    let url: String
    let logPath: String

    /// Writes the gateway's configuration (`extra` members added, a `webhook` block for the nodes in `webhooks`), starts it, and waits for its "listening on" line.
    static func launch(
        _ h: Harness, name: String, nodes: [String], extra: [String: Any] = [:],
        webhooks: [String: [String: Any]] = [:]
    ) async throws -> GatewayProcess {
        var config: [String: Any] = ["listen": "127.0.0.1:0"]
        config["nodes"] = try nodes.map { id in
            var node: [String: Any] = ["id": id, "config": try h.configurationFile(id)]
            if let webhook = webhooks[id] { node["webhook"] = webhook }
            return node
        }
        config.merge(extra) { $1 }
        let configPath = "\(h.directory)/\(name).json"
        try JSONSerialization.data(withJSONObject: config, options: [.sortedKeys])
            .write(to: URL(fileURLWithPath: configPath))
        let logPath = "\(h.directory)/\(name).log"
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        let process = Process()
        process.executableURL = URL(
            fileURLWithPath: try Locations.executable("referral-gateway", variable: "REFERRAL_GATEWAY_BIN"))
        process.arguments = ["--config", configPath]
        let log = FileHandle(forWritingAtPath: logPath)
        process.standardOutput = log
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        try process.run()
        try? log?.close()
        h.adopt(process)
        var url: String?
        try await h.eventually("\(name) prints where it listens", timeout: .seconds(20)) {
            let text = String(decoding: FileManager.default.contents(atPath: logPath) ?? Data(), as: UTF8.self)
            guard process.isRunning else {
                throw HarnessError("\(name) exited (\(process.terminationStatus)): \(text)")
            }
            url = text.split(separator: "\n").first { $0.hasPrefix("referral-gateway: listening on ") }
                .map { String($0.dropFirst("referral-gateway: listening on ".count)) }
            return url != nil
        }
        return GatewayProcess(process: process, url: url!, logPath: logPath)
    }

    var log: String { String(decoding: FileManager.default.contents(atPath: logPath) ?? Data(), as: UTF8.self) }

    /// SIGTERM, then the exit status (nil if it did not exit within 15 s).
    func terminate() async throws -> Int32? {
        kill(process.processIdentifier, SIGTERM)
        let deadline = ContinuousClock.now + .seconds(15)
        while process.isRunning {
            guard ContinuousClock.now < deadline else { return nil }
            try await Task.sleep(for: .milliseconds(20))
        }
        return process.terminationStatus
    }
}

/// One HTTP exchange with a gateway, through Foundation's client.
enum GatewayHTTP {
    struct Answer: Sendable, CustomStringConvertible {
        var status: Int
        var body: [UInt8]
        var contentType: String?
        /// Every header of the answer, names lowercased.
        var headers: [String: String] = [:]
        var text: String { String(decoding: body, as: UTF8.self) }
        var json: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] ?? [:] }
        var description: String { "\(status) \(contentType ?? "-") \(text)" }
    }

    static func call(
        _ method: String, _ url: String, body: [UInt8]? = nil, token: String? = nil, timeout: Double = 40
    ) async throws -> Answer {
        var request = URLRequest(url: URL(string: url)!)
        request.httpMethod = method
        request.timeoutInterval = timeout
        if let body {
            request.httpBody = Data(body)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        let session = URLSession(configuration: .ephemeral)
        defer { session.finishTasksAndInvalidate() }
        let (data, response) = try await session.data(for: request)
        let http = response as? HTTPURLResponse
        var headers: [String: String] = [:]
        for (name, value) in http?.allHeaderFields ?? [:] {
            headers[String(describing: name).lowercased()] = String(describing: value)
        }
        return Answer(
            status: http?.statusCode ?? 0, body: Array(data), contentType: headers["content-type"], headers: headers)
    }
}
