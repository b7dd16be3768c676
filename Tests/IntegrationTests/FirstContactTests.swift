import Foundation
import ReferralProtocol
import Testing

extension DaemonSuite {
    /// What a new user meets with `referralctl` against the real daemon (issue 8, "First contact"): a queued send
    /// that is rejected later is surfaced, admin commands work from any directory, the broker's refusal for now
    /// is reported, business bodies are checked at the sender, and messages say what is wrong.
    @Suite("referralctl first contact")
    struct FirstContactTests {
        /// A body file in the test directory: the schema's example of `kind`, or `text`.
        static func bodyFile(_ h: Harness, _ kind: String? = nil, text: String = "hello world") throws -> String {
            let path = "\(h.directory)/body-\(UUID().uuidString.prefix(6)).json"
            var data = Data(text.utf8)
            if let kind {
                let example = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
                    .appendingPathComponent("../../protocols/business/examples/\(kind).valid.json").standardizedFileURL
                data = try Data(contentsOf: example)
            }
            try data.write(to: URL(fileURLWithPath: path))
            return path
        }

        /// Item 15: `send --no-wait` to an unknown node, then the broker's REJECTED shows in `listen --receipts`
        /// (once) and in `outbox --rejected`.
        @Test func queuedSendRejectedLaterIsSurfaced() async throws {
            try await withDaemon { h in
                let config = try h.configurationFile("test-a")
                let body = try Self.bodyFile(h, "followup.visit")
                let queued = try await h.referralctl([
                    "send", "--config", config, "--to", "test-nobody", "--kind", "followup.visit", "--case",
                    Made.caseId(), "--body", body, "--id", "test-a:lost-1", "--no-wait",
                ])
                try h.require(queued.status == 0, "send --no-wait: \(queued)")
                let listen = try await h.referralctl([
                    "listen", "--config", config, "--receipts", "--timeout", "2",
                ])
                let line = listen.stdout.split(separator: "\n").first { $0.contains("test-a:lost-1") } ?? ""
                h.expect(
                    listen.status == 0 && line.contains(#""outcome":"rejected""#)
                        && line.contains(#""code":"UNKNOWN_RECIPIENT""#), "listen --receipts: \(listen)")
                let again = try await h.referralctl(["listen", "--config", config, "--receipts", "--timeout", "0.5"])
                h.expect(!again.stdout.contains("test-a:lost-1"), "reported twice: \(again.stdout)")
                let outbox = try await h.referralctl(["outbox", "--config", config, "--rejected", "--json"])
                h.expect(
                    outbox.status == 0 && outbox.stdout.contains(#""id":"test-a:lost-1","state":"rejected""#)
                        && outbox.stdout.contains(#""recipient":"test-nobody""#), "outbox --rejected: \(outbox)")
                let table = try await h.referralctl(["outbox", "--config", config])
                h.expect(table.stdout.contains("UNKNOWN_RECIPIENT"), "outbox: \(table)")
                // The broker never stored it: its trail is NOT_FOUND, and says where to look.
                let trail = try await h.referralctl([
                    "trail", "--message", "test-a/test-a:lost-1", "--admin", h.daemon.admin,
                ])
                h.expect(
                    trail.status == 1 && trail.stderr.contains("NOT_FOUND")
                        && trail.stderr.contains("referralctl outbox --config SENDER.json --rejected"),
                    "trail: \(trail)")
            }
        }

        /// Item 16: the admin commands find the broker from its configuration file, whose relative admin endpoint
        /// is resolved against the file's folder, whatever the working directory.
        @Test func adminCommandsWorkFromAnyDirectory() async throws {
            try await withDaemon { h in
                try FileManager.default.createDirectory(atPath: h.directory + "/etc", withIntermediateDirectories: true)
                let brokerConfig = h.directory + "/etc/broker.json"
                try Data(#"{"admin_endpoint": "ipc://../admin.sock"}"#.utf8).write(
                    to: URL(fileURLWithPath: brokerConfig))
                let byFlag = try await h.referralctl(
                    ["status", "--json", "--broker-config", brokerConfig], workingDirectory: "/")
                h.expect(byFlag.status == 0 && byFlag.stdout.contains("\"version\""), "--broker-config: \(byFlag)")
                let byEnvironment = try await h.referralctl(
                    ["audit", "verify"], workingDirectory: "/", environment: ["REFERRAL_BROKER_CONFIG": brokerConfig])
                h.expect(byEnvironment.status == 0, "$REFERRAL_BROKER_CONFIG: \(byEnvironment)")
            }
        }

        /// Item 26: a refusal for now (here RATE_LIMITED; STORE_FAILED on a full disk) is what `send` reports when
        /// the time is up, not "no answer"; the message stays queued.
        @Test func sendSaysWhatTheBrokerAnswered() async throws {
            var options = DaemonOptions()
            options.rateLimit = (perSecond: 1, burst: 1)
            try await withDaemon(options) { h in
                let config = try h.configurationFile("test-a")
                let body = try Self.bodyFile(h, "followup.visit")
                let caseId = Made.caseId()
                func send(_ id: String, _ extra: [String]) async throws -> (
                    status: Int32, stdout: String, stderr: String
                ) {
                    try await h.referralctl(
                        [
                            "send", "--config", config, "--to", "test-b", "--kind", "followup.visit", "--body", body,
                            "--id", id,
                        ] + extra)
                }
                // Two messages of other cases queued first take the one token of the burst (and wait for the next).
                for n in 1...2 {
                    let queued = try await send("test-a:first-\(n)", ["--case", Made.caseId(), "--no-wait"])
                    try h.require(queued.status == 0, "send --no-wait: \(queued)")
                }
                let run = try await send("test-a:limited", ["--case", caseId, "--timeout", "0.8"])
                h.expect(run.status == 4, "exit \(run.status): \(run)")
                h.expect(
                    run.stderr.contains("the broker answered RATE_LIMITED") && !run.stderr.contains("no answer"),
                    "stderr: \(run.stderr)")
                h.expect(run.stderr.contains("stays in the outbox"), "stderr: \(run.stderr)")
            }
        }

        /// Item 18: a body that is not a referral.request is refused before the outbox (exit 1, naming the schema),
        /// unless --skip-body-validation; the schema's example passes.
        @Test func businessBodiesAreValidatedBySend() async throws {
            try await withDaemon { h in
                let config = try h.configurationFile("test-a")
                let caseId = Made.caseId()
                let common = [
                    "send", "--config", config, "--to", "test-b", "--kind", "referral.request", "--case", caseId,
                ]
                let hello = try await h.referralctl(common + ["--priority", "urgent", "--body", Self.bodyFile(h)])
                h.expect(
                    hello.status == 1 && hello.stderr.contains("body is not a valid referral.request")
                        && !hello.stderr.contains("hello world"), "hello world: \(hello)")
                let outbox = try await h.referralctl(["outbox", "--config", config])
                h.expect(outbox.stdout.contains("no messages"), "outbox after a refused body: \(outbox)")
                let skipped = try await h.referralctl(
                    common + [
                        "--priority", "urgent", "--body", Self.bodyFile(h), "--skip-body-validation", "--no-wait",
                    ])
                h.expect(skipped.status == 0, "--skip-body-validation: \(skipped)")
                let example = try Self.bodyFile(h, "referral.request")
                let wrongPriority = try await h.referralctl(
                    [
                        "send", "--config", config, "--to", "test-b", "--kind", "referral.request", "--case",
                        Made.caseId(),
                        "--body", example,
                    ])
                h.expect(
                    wrongPriority.status == 1 && wrongPriority.stderr.contains("priority urgent"),
                    "an orange referral sent routine: \(wrongPriority)")
            }
        }

        /// Item 19: messages that say what is wrong and what to do.
        @Test func messagesSayWhatIsWrong() async throws {
            try await withDaemon { h in
                let config = try h.configurationFile("test-a")
                let body = try Self.bodyFile(h, "followup.visit")
                func send(_ extra: [String]) async throws -> (status: Int32, stdout: String, stderr: String) {
                    try await h.referralctl(
                        ["send", "--config", config, "--body", body, "--case", Made.caseId(), "--timeout", "10"] + extra
                    )
                }
                // The bad part of a role address is named.
                let division = try await send([
                    "--to", "role:health/child-psychology-clinic@35010200", "--kind", "followup.visit",
                ])
                h.expect(division.status == 1 && division.stderr.contains(#"has division "35010200""#), "\(division)")
                // A misspelled node id or kind: the broker suggests the nearest known one.
                let node = try await send(["--to", "test-bb", "--kind", "followup.visit"])
                h.expect(node.status == 3 && node.stderr.contains(#"did you mean "test-b"?"#), "\(node)")
                let kind = try await send(["--to", "test-b", "--kind", "followup.visti", "--skip-body-validation"])
                h.expect(kind.status == 3 && kind.stderr.contains(#"did you mean "followup.visit"?"#), "\(kind)")
                let help = try await h.referralctl(["send", "--help"])
                h.expect(help.stdout.contains("role:AGENCY/KIND@DIVISION"), "send --help: \(help.stdout)")
                // One version for both tools and the broker.
                let ctl = try await h.referralctl(["--version"])
                let status = try await h.referralctl(["status", "--json", "--admin", h.daemon.admin])
                let version = ctl.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
                h.expect(
                    !version.isEmpty && status.stdout.contains(#""version":"\#(version)""#),
                    "referralctl \(version), STATUS \(status.stdout)")
                let daemon = Process()
                daemon.executableURL = URL(fileURLWithPath: h.daemon.executable)
                daemon.arguments = ["--version"]
                let pipe = Pipe()
                daemon.standardOutput = pipe
                daemon.standardError = FileHandle.nullDevice
                try daemon.run()
                daemon.waitUntilExit()
                let printed = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                h.expect(
                    daemon.terminationStatus == 0 && printed.trimmingCharacters(in: .whitespacesAndNewlines) == version,
                    "referrald --version: exit \(daemon.terminationStatus), \(printed)")
                // A broker configuration given as a node's is named as such.
                let mixedUp = try await h.referralctl(["listen", "--config", h.daemon.configPath, "--timeout", "1"])
                h.expect(mixedUp.status == 1 && mixedUp.stderr.contains("is a broker configuration"), "\(mixedUp)")
                // A suspended node's listen says why it gets nothing.
                let suspended = try await h.referralctl([
                    "listen", "--config", try h.configurationFile("test-suspended"), "--timeout", "2",
                ])
                h.expect(suspended.stderr.contains("suspended"), "suspended listen: \(suspended)")
            }
        }

        /// Item 19: sending an accepted id again answers "duplicate": true, as `send --help` promises.
        @Test func resendOfAnAcceptedIdIsADuplicate() async throws {
            try await withDaemon { h in
                let config = try h.configurationFile("test-a")
                let arguments = [
                    "send", "--config", config, "--to", "test-b", "--kind", "followup.visit", "--case", Made.caseId(),
                    "--body", try Self.bodyFile(h, "followup.visit"), "--id", "test-a:again-1", "--json",
                ]
                let first = try await h.referralctl(arguments)
                h.expect(first.status == 0 && first.stdout.contains(#""duplicate":false"#), "first: \(first)")
                let second = try await h.referralctl(arguments)
                h.expect(second.status == 0 && second.stdout.contains(#""duplicate":true"#), "again: \(second)")
            }
        }
    }
}
