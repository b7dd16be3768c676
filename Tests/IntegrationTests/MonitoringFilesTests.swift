import Foundation
import Testing

/// deploy/prometheus and deploy/grafana: the alert rules pass `promtool check rules` and their unit tests
/// (`promtool test rules`: each alert fires when it should and not otherwise), every alert says how severe it is
/// and points at its runbook section, and the rules and every dashboard panel query only metrics referrald serves.
@Suite(.timeLimit(.minutes(1))) struct MonitoringFilesTests {
    static let root = Locations.packageRoot
    static let rules = root.appendingPathComponent("deploy/prometheus/referrald-alerts.yml").path
    static let ruleTests = root.appendingPathComponent("deploy/prometheus/referrald-alerts.test.yml").path
    static let dashboard = root.appendingPathComponent("deploy/grafana/referrald.json").path

    static func promtool() throws -> String {
        guard let promtool = Tool.find("promtool") else {
            throw HarnessError("promtool is not installed (Debian's prometheus package: scripts/setup)")
        }
        return promtool
    }

    @Test func promtoolChecksTheRulesAndTheirUnitTestsPass() async throws {
        let promtool = try Self.promtool()
        let check = try await Tool.run(promtool, ["check", "rules", Self.rules])
        #expect(check.status == 0 && check.output.contains("SUCCESS"), "promtool check rules: \(check.output)")
        let test = try await Tool.run(promtool, ["test", "rules", Self.ruleTests])
        #expect(test.status == 0 && test.output.contains("SUCCESS"), "promtool test rules: \(test.output)")
    }

    /// The alert blocks of the rules file: each alert's name and its lines.
    static func alerts() throws -> [(name: String, text: String)] {
        let text = try String(contentsOfFile: rules, encoding: .utf8)
        return text.components(separatedBy: "- alert: ").dropFirst().map { block in
            (String(block.prefix { !$0.isNewline }), block)
        }
    }

    @Test func everyAlertHasASeverityASummaryAndItsRunbookSection() throws {
        let alerts = try Self.alerts()
        let names = Set(alerts.map(\.name))
        for expected in [
            "ReferralBrokerDown", "ReferralBrokerNotReady", "ReferralNodeOffline", "ReferralCrisisOverdue",
            "ReferralDeadLetters", "ReferralHeldCases", "ReferralStoreDiskNearlyFull", "ReferralAuditVerifyFailing",
            "ReferralNoActiveBroker",
        ] {
            #expect(names.contains(expected), "no alert \(expected)")
        }
        let runbook = try String(
            contentsOf: Self.root.appendingPathComponent("docs/RUNBOOK.md"), encoding: .utf8)
        let anchors = Set(
            runbook.split(separator: "\n").filter { $0.hasPrefix("#") }.map { heading in
                String(heading.drop { $0 == "#" || $0 == " " }).lowercased()
                    .filter { $0.isLetter || $0.isNumber || $0 == " " || $0 == "-" || $0 == "_" }
                    .replacingOccurrences(of: " ", with: "-")
            })
        let severities: Set<Substring> = ["critical", "warning"]
        let testText = try String(contentsOfFile: Self.ruleTests, encoding: .utf8)
        for (name, text) in alerts {
            let severity = text.split(separator: "\n").first { $0.contains("severity:") }?
                .split(separator: ":").last?.trimmingCharacters(in: .whitespaces)
            #expect(
                severity.map { severities.contains(Substring($0)) } == true, "\(name): severity \(severity ?? "none")")
            for key in ["summary:", "description:", "runbook_url:"] {
                #expect(text.contains(key), "\(name) has no \(key)")
            }
            let anchor = text.split(separator: "\n").first { $0.contains("runbook_url:") }?
                .split(separator: "#").last?.trimmingCharacters(in: CharacterSet(charactersIn: "\" "))
            #expect(anchor == name.lowercased(), "\(name): runbook_url should end #\(name.lowercased())")
            #expect(anchors.contains(name.lowercased()), "docs/RUNBOOK.md has no section headed \(name)")
            #expect(testText.contains("alertname: \(name)"), "referrald-alerts.test.yml does not test \(name)")
        }
    }

    @Test func theRulesQueryOnlyMetricsReferraldServes() throws {
        let lines = try String(contentsOfFile: Self.rules, encoding: .utf8).split(separator: "\n")
        var expressions: [String] = []
        var index = 0
        while index < lines.count {
            let line = lines[index].trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("expr:") {
                var expression = String(line.dropFirst("expr:".count)).replacingOccurrences(of: ">-", with: "")
                // A folded (>-) expression goes on in the lines indented deeper than `expr:`.
                while index + 1 < lines.count, lines[index + 1].hasPrefix("          ") {
                    index += 1
                    expression += " " + lines[index]
                }
                expressions.append(expression)
            }
            index += 1
        }
        #expect(expressions.count == (try Self.alerts()).count)
        for expression in expressions {
            let unknown = MetricNames.used(in: expression).subtracting(MetricNames.queryable)
            #expect(unknown.isEmpty, "\(expression) uses \(unknown.sorted())")
        }
    }

    static let gatewayRules = root.appendingPathComponent("deploy/prometheus/referral-gateway-alerts.yml").path
    static let gatewayRuleTests = root.appendingPathComponent("deploy/prometheus/referral-gateway-alerts.test.yml").path

    /// The gateway's rules: promtool checks them and their unit tests pass; each alert (a dead webhook, a node
    /// not connected) has a severity, a summary, its runbook section and a unit test, and queries only metrics the
    /// gateway serves.
    @Test func theGatewayRulesPassPromtoolAndPointAtTheirRunbookSections() async throws {
        let promtool = try Self.promtool()
        let check = try await Tool.run(promtool, ["check", "rules", Self.gatewayRules])
        #expect(check.status == 0 && check.output.contains("SUCCESS"), "promtool check rules: \(check.output)")
        let test = try await Tool.run(promtool, ["test", "rules", Self.gatewayRuleTests])
        #expect(test.status == 0 && test.output.contains("SUCCESS"), "promtool test rules: \(test.output)")
        let text = try String(contentsOfFile: Self.gatewayRules, encoding: .utf8)
        let alerts = text.components(separatedBy: "- alert: ").dropFirst().map { block in
            (name: String(block.prefix { !$0.isNewline }), text: block)
        }
        #expect(
            Set(alerts.map(\.name)).isSuperset(of: ["ReferralGatewayWebhookDead", "ReferralGatewayNodeNotConnected"]))
        let runbook = try String(contentsOf: Self.root.appendingPathComponent("docs/RUNBOOK.md"), encoding: .utf8)
        let headings = Set(
            runbook.split(separator: "\n").filter { $0.hasPrefix("#") }.map {
                String($0.drop { $0 == "#" || $0 == " " }).lowercased()
            })
        let tests = try String(contentsOfFile: Self.gatewayRuleTests, encoding: .utf8)
        for (name, block) in alerts {
            for key in [
                "severity:", "summary:", "description:", "runbook_url: \"docs/RUNBOOK.md#\(name.lowercased())\"",
            ] {
                #expect(block.contains(key), "\(name) has no \(key)")
            }
            #expect(headings.contains(name.lowercased()), "docs/RUNBOOK.md has no section headed \(name)")
            #expect(tests.contains("alertname: \(name)"), "referral-gateway-alerts.test.yml does not test \(name)")
            let expression = block.split(separator: "\n").first { $0.contains("expr:") }.map(String.init) ?? ""
            let unknown = MetricNames.used(in: expression.replacingOccurrences(of: "expr:", with: ""))
                .subtracting(MetricNames.gatewayQueryable)
            #expect(unknown.isEmpty, "\(name): \(expression) uses \(unknown.sorted())")
        }
    }

    /// The dashboard's panels and their PromQL expressions (with Grafana's variables).
    static func panels() throws -> (dashboard: [String: Any], panels: [[String: Any]]) {
        let data = try Data(contentsOf: URL(fileURLWithPath: dashboard))
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let panels = try #require(object["panels"] as? [[String: Any]])
        return (object, panels)
    }

    static func expressions(_ panel: [String: Any]) -> [String] {
        (panel["targets"] as? [[String: Any]] ?? []).compactMap { $0["expr"] as? String }
    }

    @Test func theDashboardHasADataSourceVariableAndAQueryInEveryPanel() throws {
        let (dashboard, panels) = try Self.panels()
        #expect((dashboard["schemaVersion"] as? Int).map { (36...41).contains($0) } == true)
        let variables = (dashboard["templating"] as? [String: Any])?["list"] as? [[String: Any]] ?? []
        let source = variables.first { $0["type"] as? String == "datasource" }
        #expect(source?["query"] as? String == "prometheus" && source?["name"] as? String == "datasource")
        var ids: Set<Int> = []
        var titles: [String] = []
        for panel in panels {
            let id = try #require(panel["id"] as? Int)
            #expect(ids.insert(id).inserted, "panel id \(id) twice")
            let grid = try #require(panel["gridPos"] as? [String: Int])
            #expect((grid["x"] ?? 99) + (grid["w"] ?? 99) <= 24, "\(panel["title"] ?? id) is wider than the grid")
            guard panel["type"] as? String != "row" else { continue }
            titles.append(panel["title"] as? String ?? "")
            #expect(!Self.expressions(panel).isEmpty, "\(titles.last!) has no query")
            for target in panel["targets"] as? [[String: Any]] ?? [] {
                #expect((target["datasource"] as? [String: String])?["uid"] == "${datasource}")
            }
        }
        // The issue's panels, by the words of their titles.
        for words in [
            "Accepted", "Delivered", "Rejected", "Backlog", "Unacknowledged", "Nodes connected", "latency",
            "batch size", "Open cases", "Overdue by county", "Escalations", "Dead letters", "Held", "disk free",
            "Authentication",
        ] {
            #expect(titles.contains { $0.localizedCaseInsensitiveContains(words) }, "no panel about \(words)")
        }
    }

    /// Every panel queries only metrics referrald serves, and every expression parses: promtool checks them as
    /// recording rules, Grafana's variables replaced by values.
    @Test func everyPanelQueriesServedMetricsInValidPromQL() async throws {
        let expressions = try Self.panels().panels.flatMap(Self.expressions)
        for expression in expressions {
            let unknown = MetricNames.used(in: expression).subtracting(MetricNames.queryable)
            #expect(unknown.isEmpty, "\(expression) uses \(unknown.sorted())")
        }
        let promtool = try Self.promtool()
        let folder = try Tool.temporaryFolder("promql")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var file = "groups:\n  - name: dashboard\n    rules:\n"
        for (index, expression) in expressions.enumerated() {
            let concrete = expression.replacingOccurrences(of: "$__rate_interval", with: "5m")
                .replacingOccurrences(of: #"\$\w+"#, with: ".*", options: .regularExpression)
            // A JSON string is a valid YAML double-quoted scalar.
            let quoted = String(
                decoding: try JSONSerialization.data(withJSONObject: [concrete], options: .withoutEscapingSlashes),
                as: UTF8.self
            )
            .dropFirst().dropLast()
            file += "      - record: dashboard:panel_\(index)\n        expr: \(quoted)\n"
        }
        try file.write(toFile: folder + "/dashboard.yml", atomically: true, encoding: .utf8)
        let check = try await Tool.run(promtool, ["check", "rules", folder + "/dashboard.yml"])
        #expect(check.status == 0, "promtool check rules (the dashboard's expressions): \(check.output)")
        #expect(check.output.contains("\(expressions.count) rules found"), "\(check.output)")
    }
}
