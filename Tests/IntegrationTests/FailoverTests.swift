import Foundation
import ReferralClient
import ReferralProtocol
import Testing

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

extension DaemonSuite {
    /// Two `referrald` instances on one PostgreSQL store (issue 12, docs/FAILOVER.md): the one holding the lease is
    /// active, the other waits as a standby; nodes list both endpoints. When the active one dies (SIGKILL) or
    /// freezes (SIGSTOP past its lease), the standby takes the lease and carries on from the store, and the senders'
    /// outboxes resend what was not answered: nothing accepted is lost, nothing reaches an application twice, every
    /// answer deadline armed before the fault fires exactly once (whichever instance fires it), and the frozen one,
    /// resumed, commits nothing and steps down (exit 75).
    @Suite(
        "Broker failover on PostgreSQL",
        .enabled(
            if: DaemonStoreBackend.clusterAvailable,
            "REFERRAL_TEST_PG_URL is not set: the failover tests need a PostgreSQL cluster (scripts/test starts one)"))
    struct FailoverTests {
        static let senderIds = ["test-a", "test-b", "test-c"]
        static let recipientIds = ["test-e", "test-f"]
        /// Referral requests from test-c to test-d, each its own case, never answered: each arms an answer deadline
        /// due 4 s later, which falls due around the fault and sends test-c's county bureau (test-e) one notice.
        static let referrals = 6
        /// Messages per sender: 60 in CI; more by hand with `REFERRAL_FAILOVER_MESSAGES` (RELIABILITY.md).
        static let perSender =
            ProcessInfo.processInfo.environment["REFERRAL_FAILOVER_MESSAGES"].flatMap { Int($0) }
            ?? 60

        /// A TCP port nothing listens on now (the instances need theirs before they start).
        static func freePort() throws -> Int {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            defer { close(fd) }
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            address.sin_port = 0
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let bound = withUnsafeMutablePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                    bind(fd, pointer, length) == 0 && getsockname(fd, pointer, &length) == 0
                }
            }
            guard bound else { throw HarnessError("no free port") }
            return Int(UInt16(bigEndian: address.sin_port))
        }

        enum Fault { case kill, freeze }

        @Test func theStandbyTakesOverWhenTheActiveIsKilled() async throws {
            try await run(.kill)
        }

        @Test func aFrozenActiveIsReplacedAndCommitsNothingWhenResumed() async throws {
            try await run(.freeze)
        }

        func run(_ fault: Fault) async throws {
            let endpointA = "tcp://127.0.0.1:\(try Self.freePort())"
            let endpointB = "tcp://127.0.0.1:\(try Self.freePort())"
            var options = DaemonOptions()
            options.postgresql = true
            options.instance = "broker-a"
            options.endpoint = endpointA
            options.escalationPolicy = EscalationTests.policy(answer: "4s", repeatEvery: "600s", maxSteps: 1)
            try await withDaemon(options) { h in
                let standby = try DaemonProcess(sibling: h.daemon, instance: "broker-b", endpoint: endpointB)
                defer { standby.killNow() }
                do {
                    try await exercise(fault, h, standby: standby, endpoints: [endpointA, endpointB])
                } catch {
                    print("---- broker-b's log ----\n\(standby.stderrTail())\n---- end ----")
                    throw error
                }
            }
        }

        func exercise(_ fault: Fault, _ h: Harness, standby: DaemonProcess, endpoints: [String]) async throws {
            try standby.launchOnly()
            try await h.eventually("broker-b waits as a standby") {
                standby.stderrTail().contains("standby: waiting for the lease")
            }
            h.expect(!FileManager.default.fileExists(atPath: standby.readyPath), "the standby says it is ready")
            // 1/RBP §7.1: the standby answers a known node's HELLO with ERROR NOT_ACTIVE, fatal, naming HELLO.
            let keys = try h.daemon.keyPair("test-c")
            let probe = try RawNode(
                endpoint: endpoints[1],
                curve: RawNode.Curve(
                    publicKey: keys.publicKey, secretKey: keys.secretKey, serverKey: h.daemon.serverKeys.publicKey))
            defer { probe.close() }
            let answer = try await probe.tryHello("test-c", timeout: .seconds(10))
            guard case .error(let refused)? = answer else {
                throw HarnessError("the standby answered HELLO with \(String(describing: answer)), not ERROR")
            }
            h.expect(
                refused.code == .notActive && refused.fatal && refused.command == "HELLO",
                "the standby answered \(refused)")

            let recipients = try Self.recipientIds.map { try h.node($0, endpoints: endpoints) }
            let senders = try Self.senderIds.map { try h.node($0, endpoints: endpoints) }
            _ = try h.node("test-d", endpoints: endpoints)  // takes (and ACKs) the referral requests, never answers
            let cases = (1...Self.referrals).map { _ in Made.caseId() }
            let referrals = cases.enumerated().map { index, caseId in
                OutgoingMessage(
                    id: String(format: "test-c:failover-referral-%03d", index), to: ["test-d"],
                    kind: "referral.request",
                    caseId: caseId, body: Made.body("referral-\(index)"), validatesBody: false)
            }
            let referralSender = senders[Self.senderIds.firstIndex(of: "test-c")!]
            _ = try await referralSender.send(batch: referrals)
            h.expect(
                try await referralSender.acceptedSeqs(referrals.map(\.id)).count == referrals.count,
                "the referral requests were not all accepted before the fault")
            let plans: [[OutgoingMessage]] = Self.senderIds.map { sender in
                (1...Self.perSender).map { index in
                    let to = index % 3 == 0 ? Self.recipientIds : [Self.recipientIds[index % 2]]
                    return Made.message(String(format: "\(sender):failover-%05d", index), to: to)
                }
            }
            let total = Self.perSender * Self.senderIds.count
            let issued = Counter()
            async let sending: Void = PlannedSending.send(
                plans, from: senders, chunk: 5, pause: .milliseconds(5), issued: issued)
            try await h.eventually("the senders are under way", interval: .milliseconds(2)) {
                issued.value >= total / 3
            }

            switch fault {
            case .kill:
                try await h.daemon.kill9()
                try await standby.waitUntilReady(timeout: .seconds(30))
            case .freeze:
                let pid = try #require(h.daemon.pid)
                kill(pid, SIGSTOP)
                // Past its lease (3 s): the standby takes over while the active one cannot even notice.
                try await standby.waitUntilReady(timeout: .seconds(30))
                kill(pid, SIGCONT)
                let status = try await h.daemon.exitStatus(timeout: .seconds(20))
                h.expect(status == 75, "the resumed former active exited \(status), not 75")
                h.expect(
                    h.daemon.stderrTail(lines: 200).contains("no longer the active instance"),
                    "the resumed former active does not say it stepped down")
            }
            try await sending
            print("failover test (\(fault)): \(issued.value) of \(total) messages handed to the senders")
            let recipientNodes = Dictionary(uniqueKeysWithValues: zip(Self.recipientIds, recipients))
            var notices =
                try await ExactlyOnce.check(
                    h, senders: senders, plans: plans, recipients: recipientNodes, label: "failover test (\(fault))")[
                    "test-e"] ?? []
            // Every deadline fires once: one notice per case at test-e, none twice (a second would come within
            // the wait below: the next step is 600 s away, so only a fire done twice could send one).
            let bureau = try #require(recipientNodes["test-e"])
            let deadline = ContinuousClock.now + .seconds(30)
            while Set(notices.compactMap(\.caseId)).count < cases.count, ContinuousClock.now < deadline {
                if let message = try await bureau.nextMessage(timeout: .seconds(1)) { notices.append(message) }
            }
            while let message = try await bureau.nextMessage(timeout: .seconds(3)) { notices.append(message) }
            let perCase = Dictionary(grouping: notices.filter { $0.kind == "escalation.notice" }) { $0.caseId ?? "" }
            h.expect(
                Set(perCase.keys) == Set(cases), "notices for \(perCase.keys.sorted()), expected \(cases.sorted())")
            h.expect(
                perCase.values.allSatisfy { $0.count == 1 }, "a deadline fired twice: \(perCase.mapValues(\.count))")
            print("failover test (\(fault)): \(notices.count) escalation notices for \(cases.count) deadlines")
        }
    }
}
