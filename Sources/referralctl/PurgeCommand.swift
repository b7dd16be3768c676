import ArgumentParser
import Foundation
import ReferralProtocol

struct PurgeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "purge",
        abstract: "Have the running broker purge old message bodies now (ADMIN-1 PURGE).",
        discussion: """
            Runs one purge now, as the broker's timer does every
            retention.purge_interval_ms: the bodies the configured retention
            periods allow are deleted from the store for good (a message's
            headers, digest, size, trail and the audit trail stay; a purged
            dead letter can no longer be re-driven). If a run is already
            going, this one runs right after it and prints its own counts.
            The run is
            recorded in the audit trail (bodies-purged) with its counts and
            the operator's name. Prints
              purged: closed cases N, without a case M, dead letters K (D ms)

            On a terminal it asks for confirmation first; --yes skips it (for
            scripts, and required when stdin is not a terminal).

            Examples:
              referralctl purge
              referralctl purge --yes --operator ops-oncall

            Exit codes: 0 done, 1 the store failed, 2 no answer within
            --timeout, 6 a reply that is not ADMIN-1, 9 not confirmed
            (nothing purged).
            """
    )

    @OptionGroup var change: ChangeOptions

    @Option(help: "Seconds to wait for the run to finish.")
    var timeout: Int = 600

    @OptionGroup var admin: AdminOptions

    func validate() throws {
        guard timeout > 0 else { throw ValidationError("--timeout must be at least 1") }
    }

    func run() async throws {
        let name = try change.name()
        try await change.confirm("Delete the message bodies the retention periods allow, for good?")
        let request = AdminRequest.purge(operator: name)
        guard case .purge(let purge) = try await admin.ask(request, timeout: .seconds(timeout)) else {
            throw AdminOptions.unexpectedResult(of: request)
        }
        if !admin.json { Output.line(Self.render(purge)) }
    }

    static func render(_ purge: AdminPurge) -> String {
        "purged: closed cases \(purge.closedCase), without a case \(purge.caseless), "
            + "dead letters \(purge.deadLetters) (\(purge.durationMs) ms)"
    }
}
