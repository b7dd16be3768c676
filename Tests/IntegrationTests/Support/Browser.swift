import Foundation

/// Debian's `chromium`, headless (scripts/setup installs it): loads a page, returns the DOM after it loaded and
/// every console message it logged. The console comes from chromium's own log on stderr (`--enable-logging=stderr`
/// writes each console message and each uncaught error as a `:CONSOLE` line), so no DevTools connection is needed;
/// `DashboardTests` checks that a deliberate `console.error` and a thrown error do show up this way.
struct Browser {
    struct Page {
        var dom: String
        var console: [String]
    }

    let directory: String
    let executable: String

    init(directory: String) throws {
        let candidates = ["/usr/bin/chromium", "/usr/lib/chromium/chromium"]
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw HarnessError("no chromium at \(candidates): run scripts/setup (it installs Debian's chromium)")
        }
        (self.directory, self.executable) = (directory, found)
    }

    /// Loads `url` in a fresh profile under the test directory (at most `timeout`).
    func load(_ url: String, timeout: Duration = .seconds(60)) async throws -> Page {
        let name = "chromium-\(UUID().uuidString.prefix(6))"
        let (stdoutPath, stderrPath) = ("\(directory)/\(name).dom", "\(directory)/\(name).log")
        _ = FileManager.default.createFile(atPath: stdoutPath, contents: nil)
        _ = FileManager.default.createFile(atPath: stderrPath, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = [
            "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions",
            "--user-data-dir=\(directory)/\(name)", "--enable-logging=stderr", "--v=0", "--dump-dom", url,
        ]
        let (out, err) = (FileHandle(forWritingAtPath: stdoutPath), FileHandle(forWritingAtPath: stderrPath))
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        try? out?.close()
        try? err?.close()
        let deadline = ContinuousClock.now + timeout
        while process.isRunning {
            guard ContinuousClock.now < deadline else {
                kill(process.processIdentifier, SIGKILL)
                throw HarnessError("chromium did not finish loading \(url) within \(timeout)")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        let dom = String(decoding: FileManager.default.contents(atPath: stdoutPath) ?? Data(), as: UTF8.self)
        let log = String(decoding: FileManager.default.contents(atPath: stderrPath) ?? Data(), as: UTF8.self)
        guard process.terminationStatus == 0 else {
            throw HarnessError("chromium exited \(process.terminationStatus) on \(url): \(log.suffix(2000))")
        }
        return Page(dom: dom, console: log.split(separator: "\n").filter { $0.contains(":CONSOLE") }.map(String.init))
    }
}
