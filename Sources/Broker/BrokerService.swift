import Foundation
import Logging
import ServiceLifecycle
import UnixSignals

/// `referrald` as a swift-service-lifecycle service: runs until SIGTERM/SIGINT, then stops
/// gracefully (the commit in progress finishes, nodes get BYE, exit code 0).
public struct BrokerService: Service {
    public let engine: BrokerEngine
    /// Awaited before the engine starts (the HTTP listener binding first, so /ready can be seen false).
    let beforeStart: @Sendable () async throws -> Void

    /// Starts the engine now (the store opened, the sockets bound) or throws why it cannot.
    public init(configuration: BrokerConfiguration, logger: Logger) throws {
        engine = try BrokerEngine(configuration: configuration, logger: logger)
        try engine.start()
        beforeStart = {}
    }

    /// The engine starts in `run()`, after `beforeStart`, on a thread of its own (opening the store, waiting for
    /// its lock, may take a while: no thread of the cooperative pool waits for it). A start failure is thrown by
    /// `run()`; a stop asked for while starting ends it without error.
    public init(engine: BrokerEngine, beforeStart: @escaping @Sendable () async throws -> Void) {
        self.engine = engine
        self.beforeStart = beforeStart
    }

    public func run() async throws {
        let engine = engine
        try await withGracefulShutdownHandler {
            if !engine.isStarted {
                try await beforeStart()
                do {
                    try await engine.startOnThread()
                } catch  where engine.stopWasRequested {
                    return
                }
            }
            await withTaskGroup(of: Void.self) { group in
                // SIGHUP reloads the directory, policies and calendar; the task ends with the engine.
                group.addTask {
                    let hangups = await UnixSignalsSequence(trapping: .sighup)
                    for await _ in hangups { engine.requestReload() }
                }
                // Cancelled (another service of the group failed): stop as on SIGTERM, and wait for it.
                await withTaskCancellationHandler {
                    await engine.waitUntilStopped()
                } onCancel: {
                    engine.requestStop()
                }
                group.cancelAll()
            }
            // Stopped by itself: the lease of a PostgreSQL store was lost (exit 75, docs/FAILOVER.md).
            if let lost = engine.stopCause { throw lost }
        } onGracefulShutdown: {
            engine.requestStop()
        }
    }
}
