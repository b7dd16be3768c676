import ArgumentParser
import Foundation
import Logging
import ReferralClient

/// The `--config` option of the commands that act as a node.
struct NodeOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The node's configuration file (JSON).", valueName: "NODE.json"))
    var config: String

    /// Loads the configuration and opens the node's store; errors are reported and exit 1.
    func openNode() throws -> ReferralNode {
        let configuration: NodeConfiguration
        do {
            configuration = try NodeConfiguration.load(path: config)
        } catch {
            Output.error("referralctl: \(error)")
            throw Exit.usage
        }
        var logger = Logger(label: "referralctl")
        logger.logLevel = ProcessInfo.processInfo.environment["REFERRALCTL_DEBUG"] == nil ? .error : .debug
        do {
            return try ReferralNode(configuration: configuration, logger: logger)
        } catch {
            Output.error("referralctl: cannot open the node's store: \(error)")
            throw Exit.usage
        }
    }
}
