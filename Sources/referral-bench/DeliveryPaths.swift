import Foundation
import ReferralClient
import ReferralProtocol

/// The direct path: the bench's own `ReferralNode`s (as a Swift application linking `ReferralClient`). Senders are
/// tasks calling `send` (its commit runs on the store's queue, off the pool); each recipient's consumers call
/// `nextMessages(max: 100)` and `complete` each message, one commit each, as the gateway does for each
/// `POST .../complete`.
struct DirectPath: DeliveryPath {
    let fleet: Fleet
    let workload: BusinessWorkload
    let messages: [OutgoingMessage]
    var label: String { "direct (ReferralClient)" }

    func send(workers: Int, tracker: RunTracker, waitSeconds: Double) async throws {
        let (fleet, messages) = (fleet, messages)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<workers {
                group.addTask {
                    while let number = tracker.claim() {
                        if let due = tracker.due(number) { try await Clocks.sleep(untilMonotonic: due) }
                        let sender = fleet.pairs[number % fleet.pairs.count].sender
                        let start = Clocks.monotonicNanos()
                        try await sender.send(messages[number])
                        var status = 202
                        if waitSeconds > 0 {
                            let outcome = try? await sender.outcome(
                                of: messages[number].id, timeout: .milliseconds(Int64(waitSeconds * 1000)))
                            if case .accepted = outcome { status = 201 }
                        }
                        tracker.sent(number, start: start, end: Clocks.monotonicNanos(), status: status)
                    }
                }
            }
            try await group.waitForAll()
        }
    }

    func consume(workersPerRecipient: Int, tracker: RunTracker, deadline: UInt64) async throws {
        let recipients = fleet.pairs.compactMap(\.recipient)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for recipient in recipients {
                for _ in 0..<workersPerRecipient {
                    group.addTask {
                        while !tracker.isDone && !tracker.failed {
                            guard Clocks.monotonicNanos() < deadline else {
                                throw BenchError("not every message completed before the --timeout")
                            }
                            let batch = try await recipient.nextMessages(max: 100, timeout: .seconds(1))
                            let at = Clocks.monotonicNanos()
                            for message in batch {
                                guard let number = BusinessWorkload.number(ofId: message.id), number < tracker.total
                                else { throw BenchError("an unexpected message \(message.id) in the inbox") }
                                tracker.handedOut(
                                    number, at: at, acceptedAt: message.acceptedAt, receivedAt: message.receivedAt)
                            }
                            for message in batch {
                                try await recipient.complete(message)
                                tracker.completed(
                                    BusinessWorkload.number(ofId: message.id)!, at: Clocks.monotonicNanos())
                            }
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
    }
}

/// The gateway path: gateway A hosts the senders, gateway B the recipients, both real `referral-gateway`
/// processes; the bench speaks HTTP/1.1 to them on loopback, each sender and each consumer on a thread of its own
/// with one kept-alive connection (`HTTPConnection`). A sender POSTs `/v1/nodes/{sender}/messages?wait=S`; a
/// consumer long-polls `GET /v1/nodes/{recipient}/inbox?wait=1&max=100` and POSTs `.../inbox/{handle}/complete`
/// for each message it got.
struct GatewayPath: DeliveryPath {
    let a: GatewayProcess
    let b: GatewayProcess
    let workload: BusinessWorkload
    /// The POST bodies, built before the run.
    let requests: [[UInt8]]
    var label: String { "two gateways (HTTP)" }

    func send(workers: Int, tracker: RunTracker, waitSeconds: Double) async throws {
        let (port, workload, requests) = (a.port, workload, requests)
        let query = waitSeconds > 0 ? "?wait=\(waitSeconds)" : ""
        try await withThrowingTaskGroup(of: Void.self) { group in
            for worker in 0..<workers {
                group.addTask {
                    try await onThread("bench http sender \(worker)") {
                        let connection = HTTPConnection(port: port)
                        while let number = tracker.claim() {
                            if let due = tracker.due(number) { sleepThread(untilMonotonic: due) }
                            let path = "/v1/nodes/\(workload.sender(number))/messages\(query)"
                            let start = Clocks.monotonicNanos()
                            let answer: HTTPConnection.Answer
                            do {
                                answer = try connection.request(
                                    "POST", path, body: requests[number], timeoutSeconds: waitSeconds + 30)
                            } catch {
                                tracker.fail("POST \(path) (\(workload.id(number))): \(error)")
                                throw error
                            }
                            guard answer.status == 201 || answer.status == 202 else {
                                let reason = "POST \(path) (\(workload.id(number))) answered \(Self.problem(answer))"
                                tracker.fail(reason)
                                throw BenchError(reason)
                            }
                            tracker.sent(number, start: start, end: Clocks.monotonicNanos(), status: answer.status)
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
    }

    func consume(workersPerRecipient: Int, tracker: RunTracker, deadline: UInt64) async throws {
        let port = b.port
        try await withThrowingTaskGroup(of: Void.self) { group in
            for recipient in b.nodes {
                for worker in 0..<workersPerRecipient {
                    group.addTask {
                        try await onThread("bench http consumer \(recipient) \(worker)") {
                            do {
                                try Self.consume(recipient, port: port, tracker: tracker, deadline: deadline)
                            } catch {
                                tracker.fail("\(error)")
                                throw error
                            }
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
    }

    /// One consumer: long polls (1 s, so that it notices the end) and completes what it got, until every message
    /// of the run is completed.
    private static func consume(_ recipient: String, port: UInt16, tracker: RunTracker, deadline: UInt64) throws {
        let connection = HTTPConnection(port: port)
        let inbox = "/v1/nodes/\(recipient)/inbox"
        while !tracker.isDone && !tracker.failed {
            guard Clocks.monotonicNanos() < deadline else {
                throw BenchError("not every message completed before the --timeout")
            }
            let answer = try connection.request("GET", inbox + "?wait=1&max=100", timeoutSeconds: 31)
            let at = Clocks.monotonicNanos()
            guard answer.status == 200 else { throw BenchError("GET \(inbox) answered \(problem(answer))") }
            guard let document = try? JSONReader.parse(answer.body, maxDepth: 64),
                let messages = document["messages"]?.arrayValue
            else { throw BenchError("GET \(inbox): not an inbox document") }
            var handles: [(number: Int, handle: String)] = []
            for message in messages {
                guard let id = message["id"]?.stringValue, let handle = message["handle"]?.stringValue,
                    let number = BusinessWorkload.number(ofId: id), number < tracker.total
                else { throw BenchError("GET \(inbox): an unexpected message") }
                tracker.handedOut(
                    number, at: at, acceptedAt: message["accepted_at"]?.integerValue ?? 0,
                    receivedAt: message["received_at"]?.integerValue ?? 0)
                handles.append((number, handle))
            }
            for (number, handle) in handles {
                let path = "\(inbox)/\(handle)/complete"
                let done = try connection.request("POST", path, timeoutSeconds: 30)
                guard done.status == 204 else { throw BenchError("POST \(path) answered \(problem(done))") }
                tracker.completed(number, at: Clocks.monotonicNanos())
            }
        }
    }

    /// An error answer in short: status and the problem's type, title and detail (a problem never quotes a body).
    static func problem(_ answer: HTTPConnection.Answer) -> String {
        guard let document = try? JSONReader.parse(answer.body, maxDepth: 16) else {
            return "\(answer.status) (\(answer.body.count) octets, not JSON)"
        }
        let parts = ["type", "title", "detail", "code", "field"].compactMap { key in
            document[key]?.stringValue.map { "\(key): \($0)" }
        }
        return "\(answer.status) {\(parts.joined(separator: ", "))}"
    }
}
