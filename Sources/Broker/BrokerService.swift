import Logging
import ServiceLifecycle

/// `referrald` as a swift-service-lifecycle service: runs until SIGTERM/SIGINT, then stops
/// gracefully (the commit in progress finishes, nodes get BYE, exit code 0).
public struct BrokerService: Service {
    let engine: BrokerEngine

    public init(configuration: BrokerConfiguration, logger: Logger) throws {
        engine = try BrokerEngine(configuration: configuration, logger: logger)
        try engine.start()
    }

    public func run() async throws {
        await withGracefulShutdownHandler {
            await engine.waitUntilStopped()
        } onGracefulShutdown: {
            engine.requestStop()
        }
    }
}
