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
            its confirmation; then the held cases (a case whose delivery to a
            recipient was dead-lettered: its later messages to that recipient
            wait for an operator).

            Examples:
              referralctl status
              referralctl status --admin ipc:///run/referrald/admin.sock --json

            Exit codes: 0 ok, 1 the broker answered ERROR, 2 no answer in 5 s.
            """
    )

    @OptionGroup var admin: AdminOptions

    func run() async throws {
        let reply = try await admin.ask("STATUS", .object([]))
        if admin.json { return }
        for line in Self.render(reply) { Output.line(line) }
    }

    static func render(_ reply: JSONValue) -> [String] {
        var lines: [String] = []
        let broker = reply["broker"]
        var head = "broker \(broker?["version"]?.stringValue ?? "?")"
        if let endpoint = broker?["endpoint"]?.stringValue { head += "  endpoint \(endpoint)" }
        if let uptime = broker?["uptime_ms"]?.integerValue { head += "  up \(Output.duration(uptime))" }
        if let started = broker?["started_at"]?.integerValue { head += "  (since \(Output.time(started)))" }
        head += "  dead letters \(reply["dead_letters"]?.integerValue ?? 0)"
        lines.append(head)
        lines.append("")

        let nodes = reply["nodes"]?.arrayValue ?? []
        if nodes.isEmpty {
            lines.append("nodes: none")
        } else {
            var rows = [["NODE", "AGENCY", "CONNECTED", "PENDING", "IN FLIGHT", "DEAD LETTERS", "RECEIPTS", "NAME"]]
            for node in nodes {
                rows.append([
                    node["node"]?.stringValue ?? "?", node["agency"]?.stringValue ?? "",
                    node["connected"]?.boolValue == true ? "yes" : "no", number(node["pending"]),
                    number(node["in_flight"]), number(node["dead_letters"]), number(node["receipts_pending"]),
                    node["name"]?.stringValue ?? "",
                ])
            }
            lines.append(contentsOf: Output.table(rows))
        }
        lines.append("")

        let held = reply["held_cases"]?.arrayValue ?? []
        if held.isEmpty {
            lines.append("held cases: none")
        } else {
            lines.append("held cases:")
            var rows = [["CASE", "RECIPIENT", "SEQ", "SINCE"]]
            for item in held {
                rows.append([
                    item["case"]?.stringValue ?? "?", item["recipient"]?.stringValue ?? "?", number(item["seq"]),
                    item["since"]?.integerValue.map(Output.time) ?? "",
                ])
            }
            lines.append(contentsOf: Output.table(rows))
        }
        return lines
    }

    private static func number(_ value: JSONValue?) -> String {
        value?.integerValue.map(String.init) ?? "-"
    }
}
