import ArgumentParser
import Broker
import Foundation

/// `referrald store …`: operations on the broker's store while the broker is stopped.
struct StoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "store",
        abstract: "Operations on the broker's store (the broker stopped).",
        subcommands: [StoreCopyCommand.self])
}

struct StoreCopyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "copy",
        abstract: "Copy an SQLite broker store into an empty PostgreSQL database (moving a county to PostgreSQL).",
        discussion: """
            The configuration is the one the broker will run with on PostgreSQL: store.backend postgresql, \
            store.postgresql.* naming the database (the password from store.postgresql.password_file, mode 0600, \
            or REFERRALD_PG_PASSWORD, as for `referrald run`). --from-sqlite names the store the broker ran on \
            until now (broker.sqlite in its old data_directory).

            Stop the broker first: the SQLite store is opened as the broker opens it, so a broker still running on \
            it makes the copy fail (exit \(ExitStatus.storeLocked.rawValue)), and so does a store that holds less \
            than it acknowledged (exit \(ExitStatus.storeRolledBack.rawValue), see "Store recovery"). The \
            PostgreSQL database must hold no store yet: its tables are created if it is empty, and the copy is \
            refused if any of them holds a row or a referrald instance holds the lease on it (exit \
            \(ExitStatus.failure.rawValue)).

            The copy is one transaction: every table (messages with their seqs and bodies, deliveries, receipts, \
            trail events, cases, deadlines, held cases, node overrides and backlog counts, the audit records with \
            their ids and hashes), the store epoch (nodes see the same store and resend nothing) and the numbers \
            already given (no seq or receipt number is given twice). Before it commits, the copy is compared with \
            its source (rows per table, epoch, numbers, audit tip) and the audit chain is verified from its first \
            record; on any difference nothing is written. The SQLite file is left as it was (migrated to this \
            version's schema if it was older): keep it until the broker runs on PostgreSQL.

            Prints the rows copied per table and the time taken; never a message body.

            Example:
              referrald store copy --config /etc/referrald/referrald.json \\
                  --from-sqlite /var/lib/referrald/broker.sqlite

            Exit codes (deploy/README.md):
            \(ExitStatus.table)
            """)

    @Option(help: "The broker's JSON configuration file, with store.backend postgresql (the target).")
    var config: String

    @Option(
        name: .customLong("from-sqlite"), help: "The SQLite store to copy (broker.sqlite of the old data_directory).")
    var fromSQLite: String

    func run() throws {
        let configuration = try exitingOnConfigurationError { try BrokerConfiguration.fileAndEnvironment(config) }
        do {
            let report = try exitingOnConfigurationError {
                try StoreCopy.run(
                    configuration, fromSQLite: fromSQLite, environment: ProcessInfo.processInfo.environment)
            }
            print(report.lines.joined(separator: "\n"))
        } catch let exit as ExitCode {
            throw exit
        } catch {
            FileHandle.standardError.write(Data("referrald: store copy: \(error)\n".utf8))
            throw ExitCode(ExitStatus(startFailure: error).rawValue)
        }
    }
}
