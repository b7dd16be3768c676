import BrokerStorePostgres
import Foundation
import Glibc
import StoreModel
import Testing

/// The durability promise with a synchronous standby (docs/POSTGRESQL.md, "Durability"), on a primary and a
/// standby of its own started with `scripts/pg-test-cluster` (the shared test cluster has no standby). A commit
/// whose wait for the standby was cut (its session ended) is visible on the primary before the standby has it; a
/// resend of that message must not be answered `duplicate` until the standby has it, or a failover right then
/// would lose a message the node was told was stored.
@Suite(.serialized, .enabled(if: PostgresTestCluster.isConfigured, PostgresTestCluster.skipNote))
struct PostgresSyncStandbyTests {
    @Test func aDuplicateOfACommitTheStandbyLacksIsAnsweredOnlyOnceTheStandbyHasIt() async throws {
        try await StandbyPair.with { pair in
            let store = try PostgresBrokerStore(options: pair.options)
            defer { try? store.close() }
            let box = StoreBox(store)
            #expect(try store.run([accept("m0")]) == [.accepted(.stored(seq: 1))])

            try pair.stopStandby()
            let first = box.runInBackground([accept("m1")])
            // The batch's COMMIT waits for the standby; ending its session cuts the wait: committed on the
            // primary only, and the store sees a broken connection (outcome unknown).
            let pid = try await pair.waitForSyncRepWaiter()
            try pair.psql("SELECT pg_terminate_backend(\(pid))")
            await #expect(throws: (any Error).self) { try await first.result(within: 30) }
            #expect(try pair.psql("SELECT count(*) FROM messages WHERE message_id = 'm1'") == "1")

            // The node sends m1 again: the store finds it, but answers only after its own commit reached the
            // standby, which is down.
            let resend = box.runInBackground([accept("m1")])
            try await Task.sleep(for: .seconds(3))
            #expect(!resend.isFinished, "a duplicate was answered while the standby lacked the message")
            try pair.startStandby()
            #expect(try await resend.result(within: 60) == [.accepted(.duplicate(seq: 2, recipients: 1))])
        }
    }

    private func accept(_ id: String) -> StoreUnit {
        .accept(AcceptUnit(message: message(id)))
    }
}

/// The store, handed to the one background thread that uses it at a time (the store is used by one thread).
private final class StoreBox: @unchecked Sendable {
    let store: PostgresBrokerStore

    init(_ store: PostgresBrokerStore) {
        self.store = store
    }

    func runInBackground(_ units: [StoreUnit]) -> Pending {
        let pending = Pending()
        let store = self.store
        Thread.detachNewThread { pending.finish(Result { try store.run(units) }) }
        return pending
    }

    final class Pending: @unchecked Sendable {
        private let lock = NSLock()
        private var outcome: Result<[UnitResult], any Error>?

        func finish(_ result: Result<[UnitResult], any Error>) {
            lock.withLock { outcome = result }
        }

        var isFinished: Bool { lock.withLock { outcome != nil } }

        /// Polled, so that the waiting test does not hold one of the few threads the other tests run on.
        func result(within seconds: Int) async throws -> [UnitResult] {
            let deadline = ContinuousClock.now + .seconds(seconds)
            while ContinuousClock.now < deadline {
                if let outcome = lock.withLock({ outcome }) { return try outcome.get() }
                try await Task.sleep(for: .milliseconds(50))
            }
            throw PostgresTestClusterError("the batch did not finish within \(seconds) s")
        }
    }
}

/// A primary and its synchronous standby in a temporary directory, from `scripts/pg-test-cluster`, on free ports;
/// both stopped and removed afterwards.
private struct StandbyPair {
    let directory: String
    let primaryURL: String
    let options: PostgresStoreOptions
    let standbyPort: Int

    static func with(_ body: (StandbyPair) async throws -> Void) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pg-pair-\(UUID().uuidString)")
            .path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        // The server runs as another user when the tests run as root: it must reach the directory.
        chmod(directory, 0o755)
        defer {
            _ = try? script(["stop", directory + "/standby"])
            _ = try? script(["stop", directory + "/primary"])
            try? FileManager.default.removeItem(atPath: directory)
        }
        let primaryURL = try script(["start", directory + "/primary", "--port", "\(try freePort())"])
        let standbyPort = try freePort()
        _ = try script(["start-standby", directory + "/primary", directory + "/standby", "--port", "\(standbyPort)"])
        guard let options = PostgresStoreOptions(url: primaryURL) else {
            throw PostgresTestClusterError("not a URL the store reads: \(primaryURL)")
        }
        try await body(
            StandbyPair(directory: directory, primaryURL: primaryURL, options: options, standbyPort: standbyPort))
    }

    func stopStandby() throws { _ = try Self.script(["stop", directory + "/standby"]) }
    func startStandby() throws { _ = try Self.script(["start", directory + "/standby", "--port", "\(standbyPort)"]) }

    @discardableResult
    func psql(_ sql: String) throws -> String {
        try PostgresTestCluster(url: primaryURL).psql(primaryURL, sql)
    }

    /// The pid of the session waiting for the synchronous standby (within 30 s).
    func waitForSyncRepWaiter() async throws -> String {
        for _ in 0..<300 {
            let pid = try psql("SELECT pid FROM pg_stat_activity WHERE wait_event = 'SyncRep' LIMIT 1")
            if !pid.isEmpty { return pid }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw PostgresTestClusterError("no session waited for the synchronous standby within 30 s")
    }

    /// Runs `scripts/pg-test-cluster` with `arguments`; the last line it prints (the URL for start).
    static func script(_ arguments: [String]) throws -> String {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let outputPath = FileManager.default.temporaryDirectory.appendingPathComponent("pgtc-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: outputPath) }
        // posix_spawn and waitpid rather than Foundation's Process, which here never reaped the script's exit (it
        // stayed a zombie); output through a file, as the servers it starts could hold a pipe open for their life.
        let argv =
            [
                "/bin/bash", "-c", "exec \"$0\" \"$@\" >\"$OUTPUT\" 2>&1 </dev/null",
                root.appendingPathComponent("scripts/pg-test-cluster").path,
            ] + arguments
        let environment =
            ProcessInfo.processInfo.environment.map { "\($0.key)=\($0.value)" } + ["OUTPUT=\(outputPath)"]
        let cArguments = argv.map { strdup($0) } + [nil]
        let cEnvironment = environment.map { strdup($0) } + [nil]
        defer { (cArguments + cEnvironment).forEach { free($0) } }
        var pid: pid_t = 0
        guard posix_spawn(&pid, "/bin/bash", nil, nil, cArguments, cEnvironment) == 0 else {
            throw PostgresTestClusterError("could not start pg-test-cluster")
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1, errno == EINTR {}
        let text = ((try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? "")
            .trimmingCharacters(in: .whitespacesAndNewlines)
        guard status == 0 else {
            throw PostgresTestClusterError("pg-test-cluster \(arguments.joined(separator: " ")) failed: \(text)")
        }
        return text.split(separator: "\n").last.map(String.init) ?? ""
    }

    /// A TCP port on 127.0.0.1 that nothing listens on now (the kernel's pick for a socket bound to port 0).
    static func freePort() throws -> Int {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw PostgresTestClusterError("socket() failed") }
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, length) == 0 && getsockname(descriptor, $0, &length) == 0
            }
        }
        guard bound else { throw PostgresTestClusterError("no free port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
