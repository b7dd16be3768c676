import Foundation
import Testing

@testable import ReferralClient

/// A node store on a file system that fills up (issue 8 item 24): with the WAL index in a memory-mapped `-shm`
/// file, a full file system made the store fail to open (disk I/O error, here on tmpfs) or killed the process
/// with SIGBUS at the first touch of a page it could not back (ext4 with 1 KiB blocks). With
/// `locking_mode=EXCLUSIVE` the index is in heap memory: the store opens and reads, and writes fail with an error.
/// Needs a small tmpfs of its own, so it runs only where the test may mount one (root); elsewhere it does nothing.
@Suite struct FullDiskTests {
    @Test func aFullFileSystemGivesErrorsNotSIGBUS() async throws {
        guard let mount = try SmallFileSystem(kilobytes: 512) else { return }
        defer { mount.remove() }
        let path = mount.path + "/node.sqlite"
        do {
            let store = try NodeStore(path: path)
            _ = try await store.enqueue([outgoing("test-a:000001")], now: 1)
            store.close()
        }
        mount.fill()
        // Reopening reads the WAL-mode file (where a -shm would be created and touched), then writes fail cleanly.
        let store = try NodeStore(path: path)
        defer { store.close() }
        #expect(try store.outboxEntry(id: "test-a:000001")?.state == .queued)
        await #expect(throws: ReferralClientError.self) {
            for index in 2...2_000 {
                _ = try await store.enqueue(
                    [outgoing(String(format: "test-a:%06d", index), body: String(repeating: "x", count: 2_000))], now: 2
                )
            }
        }
    }
}

/// A tmpfs of a given size mounted on a fresh directory, or nil where mounting is not allowed.
struct SmallFileSystem {
    let path: String

    init?(kilobytes: Int) throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("rc-full-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        guard Self.run("/usr/bin/mount", ["-t", "tmpfs", "-o", "size=\(kilobytes)k", "tmpfs", path]) else {
            try? FileManager.default.removeItem(atPath: path)
            return nil
        }
    }

    /// Writes a filler file until the file system is full.
    func fill() {
        guard
            let handle = FileHandle(forWritingAtPath: path + "/filler")
                ?? {
                    FileManager.default.createFile(atPath: path + "/filler", contents: nil)
                    return FileHandle(forWritingAtPath: path + "/filler")
                }()
        else { return }
        defer { try? handle.close() }
        let chunk = Data(repeating: 0, count: 4_096)
        while (try? handle.write(contentsOf: chunk)) != nil {}
    }

    func remove() {
        _ = Self.run("/usr/bin/umount", [path])
        try? FileManager.default.removeItem(atPath: path)
    }

    private static func run(_ executable: String, _ arguments: [String]) -> Bool {
        guard FileManager.default.isExecutableFile(atPath: executable) else { return false }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch { return false }
        process.waitUntilExit()
        return process.terminationStatus == 0
    }
}
