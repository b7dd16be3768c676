import ArgumentParser
import Foundation
import ReferralProtocol

/// The operators' and integrators' command line: send and receive as a node, and ask the broker how things stand.
@main
struct ReferralCtl: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "referralctl",
        abstract: "Send and receive referral messages as a node, and inspect the referral broker.",
        discussion: """
            A node is one agency system. Its configuration is one JSON file:
              {"node": "test-a", "broker": "tcp://127.0.0.1:5570",
               "store": "test-a.sqlite",
               "server_public_key": "<the broker's public key, Z85>",
               "public_key": "<this node's public key, Z85>",
               "secret_key_file": "keys/test-a.key"}
            "store" is the node's own SQLite file (outbox, inbox, receipts),
            relative to the configuration file's directory, like
            "secret_key_file". The three CURVE fields come together (all or
            none); without them the node connects in plain text, which only a
            broker in development mode accepts. The secret key file must be
            mode 0600. Optional fields: "window" (64), "reconnect_initial_ms"
            (1000), "reconnect_max_ms" (32000), "heartbeat_ms",
            "welcome_timeout_ms" (3000). For a broker run as several instances
            (one active, the others standbys), "broker" lists their endpoints,
            e.g. ["tcp://broker-a:5570", "tcp://broker-b:5570"] (1 to 8, one
            "server_public_key" for all): the node settles on the active one.
            Only one process at a time may use a node's configuration.

            Examples:
              referralctl keygen --out keys/test-a
              echo '{"note":"made-up"}' | referralctl send --config test-a.json \\
                  --to test-b --kind referral.request --priority urgent --body -
              referralctl listen --config test-b.json --count 1 --timeout 10
              referralctl listen --config test-a.json --receipts --timeout 5
              referralctl outbox --config test-a.json --rejected
              referralctl status
              referralctl trail --message test-a/test-a:000001
              referralctl trail --case 3f2a9c1e-8b4d-4e6f-9a0b-1c2d3e4f5a6b
              referralctl case 3f2a9c1e-8b4d-4e6f-9a0b-1c2d3e4f5a6b
              referralctl overdue
              referralctl directory reload
              referralctl audit verify
              referralctl stats
              referralctl audit export --since 24h > audit.jsonl
              referralctl dead-letters list --node test-b --older-than 2h
              referralctl dead-letters redrive 1042 --recipient test-b
              referralctl held release 3f2a9c1e-8b4d-4e6f-9a0b-1c2d3e4f5a6b --recipient test-b
              referralctl backup /var/backups/referrald/store-2026-12-04.sqlite
              referralctl node suspend test-b --reason "replaced by test-b2"
              referralctl node show test-b
              referralctl node move-backlog test-b --to test-b2
              referralctl node rotate-key test-a --grace 7d \\
                  --public-key-file keys/test-a-new.pub
              referralctl restore /var/backups/referrald/store-2026-12-04.sqlite \\
                  --store /var/lib/referrald/broker.sqlite
              referralctl purge --yes

            status, stats, trail, case, overdue, directory reload, audit,
            dead-letters, held, backup, purge and node ask the broker's admin
            endpoint: \(AdminEndpointOptions.help).
            They never open the broker's database; only restore does, with
            the broker stopped.

            Exit codes:
              0  success
              1  usage or configuration error, or the admin endpoint
                 answered ERROR (e.g. a directory file the broker refused)
              2  the broker's admin endpoint could not be reached or did
                 not answer within 5 s
              3  the broker rejected the message
              4  not accepted in time: no answer, or only a refusal for
                 now such as STORE_FAILED, printed (the message stays in
                 the outbox and is sent the next time the node runs)
              5  audit verify: the audit chain is broken
              6  the broker's admin endpoint answered something that is not
                 an ADMIN-1 reply to the request (another version of the
                 broker, or another program at that endpoint); what was
                 wrong is printed, never the reply itself
              7  restore: the store is held by a running broker
              8  restore: the backup failed its checks (nothing changed)
              9  dead-letters redrive/discard, held release, purge, node suspend /
                 move-backlog: not confirmed (no terminal to ask on and no
                 --yes, or the answer was not yes); nothing was changed
            """,
        version: ProductVersion.string,
        subcommands: [
            SendCommand.self, ListenCommand.self, OutboxCommand.self, StatusCommand.self, StatsCommand.self,
            TrailCommand.self, DirectoryCommand.self, CaseCommand.self, OverdueCommand.self, AuditCommand.self,
            BackupCommand.self, RestoreCommand.self, DeadLettersCommand.self, HeldCommand.self, PurgeCommand.self,
            NodeCommand.self,
            KeygenCommand.self,
        ]
    )

    /// Like ArgumentParser's, but a usage error exits 1 (not 64), as documented above.
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            let code = exitCode(for: error)
            let message = fullMessage(for: error)
            if code == .success {
                if !message.isEmpty { Output.line(message) }
                Foundation.exit(0)
            }
            if !message.isEmpty { Output.error(message) }
            Foundation.exit(code == .validationFailure ? Exit.usage.rawValue : code.rawValue)
        }
    }
}

/// The documented exit codes.
enum Exit {
    static let usage = ExitCode(1)
    static let unreachable = ExitCode(2)
    static let rejected = ExitCode(3)
    static let timedOut = ExitCode(4)
    static let auditBroken = ExitCode(5)
    static let malformedReply = ExitCode(6)
    static let storeInUse = ExitCode(7)
    static let backupDamaged = ExitCode(8)
    static let notConfirmed = ExitCode(9)
}
