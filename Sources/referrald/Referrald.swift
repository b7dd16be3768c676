import ArgumentParser
import Broker
import ReferralProtocol

/// `referrald`: the referral broker daemon. Everything testable lives in the Broker module.
@main
struct Referrald: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "referrald",
        abstract: "The referral broker: accepts messages once they are on disk, delivers them, tracks every ACK.",
        discussion: """
            Exit codes (deploy/README.md):
            \(ExitStatus.table)
            """,
        version: ProductVersion.string,
        subcommands: [
            RunCommand.self, InitDevCommand.self, CheckConfigCommand.self, PrintConfigCommand.self,
            AcceptRollbackCommand.self, StoreCommand.self,
        ],
        defaultSubcommand: RunCommand.self)
}
