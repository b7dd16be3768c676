import ArgumentParser
import Foundation
import ReferralProtocol

struct BackupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Have the running broker write a consistent copy of its store (ADMIN-1 BACKUP).",
        discussion: """
            FILE is a path ON THE BROKER'S MACHINE, absolute: the broker
            itself writes the copy (as its own user), so its directory must
            exist and be writable by the broker, and FILE must not exist.
            The broker keeps serving; its store writes wait while the copy
            is made (SQLite VACUUM INTO on the store's own connection). The
            copy is written under a temporary name beside FILE, fsynced,
            then given its name: FILE is whole or absent. The backup is
            recorded in the audit trail (path and size). Prints
              backup written: FILE, N bytes in MS ms

            Examples:
              referralctl backup /var/backups/referrald/store-2026-12-04.sqlite

            Exit codes: 0 written, 1 refused (a relative path, FILE exists,
            its directory is missing or not writable: nothing written) or
            the store failed, 2 no answer within --timeout, 6 a reply that
            is not ADMIN-1.
            """
    )

    @Argument(help: "Absolute path of the copy, on the broker's machine.")
    var file: String

    @Option(help: "Seconds to wait for the broker to finish the copy.")
    var timeout: Int = 600

    @OptionGroup var admin: AdminOptions

    func validate() throws {
        guard file.hasPrefix("/") else {
            throw ValidationError("FILE must be an absolute path on the broker's machine (the broker writes it)")
        }
        guard timeout > 0 else { throw ValidationError("--timeout must be at least 1") }
    }

    func run() async throws {
        let result = try await admin.ask(.backup(path: file), timeout: .seconds(timeout))
        guard case .backup(let backup) = result else { throw AdminOptions.unexpectedResult(of: .backup(path: file)) }
        if !admin.json {
            Output.line("backup written: \(backup.path), \(backup.bytes) bytes in \(backup.durationMs) ms")
        }
    }
}
