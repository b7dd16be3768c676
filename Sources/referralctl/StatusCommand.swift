import ArgumentParser
import ReferralProtocol

struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show the broker, its nodes and its held cases (ADMIN-1 STATUS).",
        discussion: """
            Prints the broker line; then one line per node of the broker's
            directory: agency, whether it is connected, deliveries to it
            pending and in flight, its dead letters, and receipts waiting for
            its confirmation (with PostgreSQL, a store line first: this
            instance's role, the lease epoch and time left, and the database's
            replication state); then the held cases (a case whose delivery to a
            recipient was dead-lettered: its later messages to that recipient
            wait for an operator).

            Examples:
              referralctl status
              referralctl status --admin ipc:///run/referrald/admin.sock --json

            Exit codes: 0 ok, 1 the broker answered ERROR, 2 no answer in 5 s,
            6 a reply that is not ADMIN-1.
            """
    )

    @OptionGroup var admin: AdminOptions

    func run() async throws {
        guard case .status(let status) = try await admin.ask(.status) else {
            throw AdminOptions.unexpectedResult(of: .status)
        }
        if admin.json { return }
        for line in Self.render(status) { Output.line(line) }
    }

    static func render(_ status: AdminStatus) -> [String] {
        var lines: [String] = []
        let broker = status.broker
        var head = "broker \(broker.version)"
        head += "  endpoint \(broker.endpoint)"
        head += "  up \(Output.duration(broker.uptimeMs))"
        head += "  (since \(Output.time(broker.startedAt)))"
        head += "  dead letters \(status.deadLetters)"
        lines.append(head)
        if let store = status.store { lines.append(storeLine(store)) }
        lines.append("")

        if status.nodes.isEmpty {
            lines.append("nodes: none")
        } else {
            var rows = [["NODE", "AGENCY", "CONNECTED", "PENDING", "IN FLIGHT", "DEAD LETTERS", "RECEIPTS", "NAME"]]
            for node in status.nodes {
                rows.append([
                    node.node, node.agency, node.connected ? "yes" : "no", String(node.pending), String(node.inFlight),
                    String(node.deadLetters), String(node.receiptsPending), node.name,
                ])
            }
            lines.append(contentsOf: Output.table(rows))
            for node in status.nodes {
                if let by = node.suspendedBy {
                    lines.append("node \(node.node): suspended by \(by): \(node.suspendedReason ?? "")")
                } else if node.state == "suspended" {
                    lines.append("node \(node.node): suspended in the directory")
                }
                if let until = node.previousKeyUntil {
                    lines.append("node \(node.node): previous key accepted until \(Output.time(until))")
                }
            }
        }
        lines.append("")

        if status.heldCases.isEmpty {
            lines.append("held cases: none")
        } else {
            lines.append("held cases:")
            var rows = [["CASE", "RECIPIENT", "SEQ", "SINCE"]]
            for held in status.heldCases {
                rows.append([held.caseId, held.recipient, String(held.seq), Output.time(held.since)])
            }
            lines.append(contentsOf: Output.table(rows))
        }
        lines.append("")
        if let purge = status.lastPurge {
            lines.append("last purge: \(Output.time(purge.at)), \(PurgeCommand.render(purge))")
        } else {
            lines.append("last purge: none since the broker started")
        }
        return lines
    }

    /// The store line (STATUS `store`, PostgreSQL): who is active, the lease, the database's replication.
    static func storeLine(_ store: AdminStoreStatus) -> String {
        var line = "store \(store.backend)"
        if let role = store.role { line += "  role \(role)" }
        if let instance = store.instance { line += "  instance \(instance)" }
        if let lease = store.lease {
            line += "  lease epoch \(lease.epoch.map { String($0) } ?? "?")"
            if let left = lease.expiresInMs {
                line += " (\(left / 1000).\(left % 1000 / 100) s left)"
            }
            if let holder = lease.holder, holder != store.instance { line += " held by \(holder)" }
        }
        if let database = store.database {
            let server = database.inRecovery.map { $0 ? "in recovery" : "primary" } ?? "role unknown"
            line += "  db \(database.host) \(server)"
            if let standbys = database.standbys {
                let listed = standbys.map { standby in
                    [standby.name ?? "?", standby.state, standby.syncState].compactMap { $0 }.joined(separator: " ")
                }
                line += ", standbys: " + (listed.isEmpty ? "none" : listed.joined(separator: "; "))
            } else {
                line += ", standbys: unknown (no pg_monitor)"
            }
        }
        return line
    }
}
