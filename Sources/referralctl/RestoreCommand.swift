import ArgumentParser
import BrokerStore
import Foundation

struct RestoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore",
        abstract: "Replace a stopped broker's store by a backup, after checking the backup.",
        discussion: """
            Run it on the broker's machine, as the broker's user, with the
            broker STOPPED. FILE (from `referralctl backup`) is copied beside
            PATH (the store: <data_directory>/broker.sqlite); the copy must
            pass PRAGMA integrity_check and the audit chain's verification,
            and only then replaces PATH (fsynced, renamed; the old store's
            -wal and -shm are removed). Otherwise nothing is changed.
            The backup holds less than the broker acknowledged after it:
            then run `referrald accept-rollback --config FILE` (nodes send
            again what lacks a receipt) and start the broker.

            Examples:
              referralctl restore /var/backups/referrald/store-2026-12-04.sqlite \\
                --store /var/lib/referrald/broker.sqlite

            Exit codes: 0 restored, 1 usage or the copy could not be made,
            7 the store is held by a running broker, 8 FILE failed the
            checks (not a database, integrity_check, audit chain): nothing
            was changed.
            """
    )

    @Argument(help: "The backup to restore.")
    var file: String

    @Option(help: "The store to replace: <data_directory>/broker.sqlite.")
    var store: String

    func run() throws {
        do {
            let verdict = try BrokerStore.restore(from: file, to: store)
            let records = if case .intact(let count, _) = verdict { "\(count)" } else { "?" }
            Output.line(
                "restored \(file) to \(store): integrity ok, audit chain intact (\(records) records); "
                    + "now run `referrald accept-rollback --config FILE`, then start the broker")
        } catch let refused as RestoreRefused {
            Output.error("referralctl: restore refused, nothing changed: \(refused)")
            throw Exit.backupDamaged
        } catch let error as BrokerStoreError where error.kind == .locked {
            Output.error("referralctl: restore refused, nothing changed: \(error)")
            throw Exit.storeInUse
        } catch let error as BrokerStoreError {
            Output.error("referralctl: restore failed, nothing changed: \(error)")
            throw Exit.usage
        }
    }
}
