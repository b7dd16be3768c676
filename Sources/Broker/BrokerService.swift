import Logging
import ServiceLifecycle
import UnixSignals

/// `referrald` as a swift-service-lifecycle service: runs until SIGTERM/SIGINT, then stops
/// gracefully (the commit in progress finishes, nodes get BYE, exit code 0).
public struct BrokerService: Service {
    let engine: BrokerEngine

    public init(configuration: BrokerConfiguration, logger: Logger) throws {
        engine = try BrokerEngine(configuration: configuration, logger: logger)
        try engine.start()
    }

    public func run() async throws {
        let engine = engine
        await withGracefulShutdownHandler {
            await withTaskGroup(of: Void.self) { group in
                // SIGHUP reloads the directory, policies and calendar; the task ends with the engine.
                group.addTask {
                    let hangups = await UnixSignalsSequence(trapping: .sighup)
                    for await _ in hangups { engine.requestReload() }
                }
                await engine.waitUntilStopped()
                group.cancelAll()
            }
        } onGracefulShutdown: {
            engine.requestStop()
        }
    }
}
