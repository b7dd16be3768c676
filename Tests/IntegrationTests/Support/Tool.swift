import Foundation

/// A program of the machine (systemd-analyze, dpkg-deb, lintian…) run to completion by a test.
enum Tool {
    /// The program's path in the usual folders, or nil when this machine does not have it.
    static func find(_ name: String) -> String? {
        ["/usr/bin", "/bin", "/usr/sbin", "/sbin", "/usr/local/bin"].map { "\($0)/\(name)" }
            .first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Runs `executable` with `arguments`; waits up to `seconds`; returns its exit status and output (stdout and
    /// stderr, through a file so a long output cannot block it).
    static func run(_ executable: String, _ arguments: [String], seconds: Int = 60) async throws
        -> (status: Int32, output: String)
    {
        let outputPath = NSTemporaryDirectory() + "rbpkg-tool-\(UUID().uuidString.prefix(8)).out"
        _ = FileManager.default.createFile(atPath: outputPath, contents: nil)
        defer { try? FileManager.default.removeItem(atPath: outputPath) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("REFERRALD_") }
        let output = FileHandle(forWritingAtPath: outputPath)
        process.standardOutput = output
        process.standardError = output
        process.standardInput = FileHandle.nullDevice
        try process.run()
        try? output?.close()
        let deadline = ContinuousClock.now + .seconds(seconds)
        while process.isRunning {
            guard ContinuousClock.now < deadline else {
                process.terminate()
                process.waitUntilExit()
                throw HarnessError("\(executable) \(arguments.joined(separator: " ")) did not exit within \(seconds) s")
            }
            try await Task.sleep(for: .milliseconds(10))
        }
        let text = String(decoding: FileManager.default.contents(atPath: outputPath) ?? Data(), as: UTF8.self)
        return (process.terminationStatus, text)
    }

    /// A fresh temporary folder whose name says which test made it.
    static func temporaryFolder(_ purpose: String) throws -> String {
        let path = NSTemporaryDirectory() + "rbpkg-\(purpose)-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }
}
