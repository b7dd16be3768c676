import Foundation

/// Where the package and the built executables are.
enum Locations {
    /// The package root, found from this file's path (Tests/IntegrationTests/Support/Locations.swift).
    static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // Support
        .deletingLastPathComponent()  // IntegrationTests
        .deletingLastPathComponent()  // Tests
        .deletingLastPathComponent()

    /// The invalid test vectors of 1/RBP §15.
    static var invalidVectors: URL { packageRoot.appendingPathComponent("protocols/vectors/invalid.json") }

    /// An executable of this package: `$<variable>` if set, else next to the test bundle (the directory of
    /// `CommandLine.arguments[0]` or of the main bundle), else in a scratch directory of the package.
    static func executable(_ name: String, variable: String) throws -> String {
        let environment = ProcessInfo.processInfo.environment
        if let path = environment[variable], !path.isEmpty {
            guard FileManager.default.isExecutableFile(atPath: path) else {
                throw HarnessError("\(variable)=\(path) is not an executable file")
            }
            return path
        }
        var directories: [URL] = []
        if let first = CommandLine.arguments.first {
            let url = URL(fileURLWithPath: first).standardizedFileURL
            directories.append(url.deletingLastPathComponent())
            // macOS: .../debug/X.xctest/Contents/MacOS/X
            directories.append(
                url.deletingLastPathComponent().deletingLastPathComponent()
                    .deletingLastPathComponent().deletingLastPathComponent())
        }
        directories.append(Bundle.main.bundleURL)
        directories.append(Bundle.main.bundleURL.deletingLastPathComponent())
        for scratch in [".build-it", ".build"] {
            directories.append(packageRoot.appendingPathComponent("\(scratch)/debug"))
        }
        for directory in directories {
            let candidate = directory.appendingPathComponent(name).path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        throw HarnessError(
            "cannot find the \(name) executable next to the tests (looked in \(directories.map(\.path))); "
                + "build with `swift build --build-tests` or set \(variable)")
    }
}

/// A failure of the test harness itself (not of the system under test).
struct HarnessError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

extension Duration {
    /// The duration in whole milliseconds (rounded down).
    var wholeMilliseconds: Int {
        let (seconds, attoseconds) = components
        return Int(seconds) * 1000 + Int(attoseconds / 1_000_000_000_000_000)
    }
}
