import Foundation
import Logging
import ReferralClient
import ReferralProtocol
import Synchronization

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// How a node's webhook fares, for `/ready`: failures in a row (0: the last POST succeeded), POSTs that
/// succeeded, and the last failure in words (a status or a transport error, never a body).
public struct WebhookState: Sendable, Hashable {
    public var failuresInARow = 0
    public var delivered: Int64 = 0
    public var lastError: String?

    /// "ok" while the last POST succeeded (or none was needed), "failing" after a failure.
    public var health: String { failuresInARow == 0 ? "ok" : "failing" }
}

/// Delivers one node's inbox messages, receipts and status changes to its webhook (docs/GATEWAY.md "Webhooks"): each event is
/// POSTed, signed, until the receiver answers 2xx, with `WebhookBackoff` between tries; only then is an inbox
/// message completed (at-least-once toward the agency) and the next event of the same stream sent (in order).
///
/// Messages and the event log (receipts, status changes) are two streams (two tasks), so that a receipt is not held
/// behind a message the agency refuses. Nothing here blocks a thread: the node library's waits are async, the POST is URLSession's (its own
/// thread), the backoff is `Task.sleep`.
public final class WebhookDelivery: Sendable {
    let host: GatewayNode
    let webhook: GatewayConfiguration.Webhook
    let secret: [UInt8]
    let logger: Logger
    public let state = Mutex(WebhookState())
    private let session: URLSession
    /// Told of every POST: its event and whether it was answered 2xx (`GatewayMetrics.webhookAttempt`).
    let onAttempt: @Sendable (_ event: String, _ delivered: Bool) -> Void

    public init(
        host: GatewayNode, webhook: GatewayConfiguration.Webhook, secret: [UInt8], logger: Logger,
        onAttempt: @escaping @Sendable (_ event: String, _ delivered: Bool) -> Void = { _, _ in }
    ) {
        self.onAttempt = onAttempt
        self.host = host
        self.webhook = webhook
        self.secret = secret
        var logger = logger
        logger[metadataKey: "node"] = "\(host.id)"
        self.logger = logger
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = Double(webhook.timeoutMs) / 1000
        configuration.timeoutIntervalForResource = Double(webhook.timeoutMs) / 1000
        self.session = URLSession(configuration: configuration)
    }

    /// Runs both streams until the task is cancelled or the node shuts down.
    public func run() async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.messages() }
            group.addTask { await self.receipts() }
        }
        session.invalidateAndCancel()
    }

    func messages() async {
        while !Task.isCancelled {
            let batch: [InboxMessage]
            do {
                batch = try await host.node.nextMessages(max: 1, timeout: .seconds(5))
            } catch {
                if let error = error as? ReferralClientError, case .shutDown = error { return }
                logger.error("webhook: reading the inbox failed", metadata: ["error": "\(error)"])
                try? await Task.sleep(for: .seconds(1))
                continue
            }
            for message in batch {
                let body = JSONWriter.encode(
                    .object([("event", .string("message")), ("message", Answers.inboxValue(message))]))
                guard await deliver(body, event: "message", id: InboxHandle.of(message)) else { return }
                do {
                    try await host.node.complete(message)
                } catch {
                    // Not completed: the library offers it again after a restart (at-least-once).
                    logger.error("webhook: completing a delivered message failed", metadata: ["error": "\(error)"])
                }
            }
        }
    }

    /// The node store's event-log cursor of this webhook: the events after it are POSTed in order, and it moves
    /// past an event only after that event's 2xx, so a receipt whose POST still failed when the gateway stopped
    /// (or was killed) is POSTed again after the restart.
    static let cursorName = "webhook"

    /// The receipt stream: the node's event log (receipts and status changes of the messages it sent) from the
    /// webhook's durable cursor on.
    func receipts() async {
        var cursor: Int64?
        while !Task.isCancelled {
            let events: [NodeEvent]
            do {
                var after = cursor ?? 0
                if cursor == nil { after = try await host.node.eventCursor(Self.cursorName) }
                cursor = after
                events = try await host.node.nextEvents(after: after, limit: 100, timeout: .seconds(5))
            } catch {
                if let error = error as? ReferralClientError, case .shutDown = error { return }
                if error is CancellationError { return }
                logger.error("webhook: reading the event log failed", metadata: ["error": "\(error)"])
                try? await Task.sleep(for: .seconds(1))
                continue
            }
            for event in events {
                let (body, name, id) = Self.payload(event)
                guard await deliver(body, event: name, id: id) else { return }
                cursor = event.number
                do {
                    try await host.node.setEventCursor(Self.cursorName, to: event.number)
                } catch {
                    // Kept in memory: not POSTed again by this process, but again after a restart (at-least-once).
                    logger.error("webhook: recording the cursor failed", metadata: ["error": "\(error)"])
                }
            }
        }
    }

    /// The POST of one event of the log: its body, `Referral-Webhook-Event` and `Referral-Webhook-Delivery` (the
    /// same for the same event whenever it is POSTed: a receipt's by its broker receipt number, a status change's
    /// by its event number).
    static func payload(_ event: NodeEvent) -> (body: [UInt8], event: String, delivery: String) {
        if let receipt = event.deliveryReceipt {
            var value = Answers.receiptValue(receipt)
            if case .object(var members) = value {
                members.insert(("message_id", .string(receipt.messageId)), at: 0)
                members.insert(("seq", .integer(receipt.seq)), at: 1)
                value = .object(members)
            }
            let body = JSONWriter.encode(.object([("event", .string("receipt")), ("receipt", value)]))
            return (body, "receipt", "receipt-\(receipt.receipt)")
        }
        let body = JSONWriter.encode(
            .object([("event", .string("status")), ("status", Answers.statusEventValue(event))]))
        return (body, "status", "status-\(event.number)")
    }

    /// POSTs `body` until a 2xx (true) or until cancelled (false), waiting per `webhook.backoff` between tries.
    func deliver(_ body: [UInt8], event: String, id: String) async -> Bool {
        var failures = 0
        while !Task.isCancelled {
            let outcome = await post(body, event: event, id: id)
            onAttempt(event, outcome == nil)
            if outcome == nil {
                state.withLock {
                    $0.failuresInARow = 0
                    $0.delivered += 1
                }
                return true
            }
            failures += 1
            let delay = webhook.backoff.delayMs(afterFailures: failures)
            state.withLock {
                $0.failuresInARow += 1
                $0.lastError = outcome
            }
            logger.warning(
                "webhook: POST failed, retrying",
                metadata: [
                    "event": "\(event)", "delivery": "\(id)", "failure": "\(outcome ?? "")",
                    "attempt": "\(failures)", "retry_in_ms": "\(delay)",
                ])
            do {
                try await Task.sleep(for: .milliseconds(delay))
            } catch {
                return false
            }
        }
        return false
    }

    /// One signed POST: nil when answered 2xx, else the failure in words.
    func post(_ body: [UInt8], event: String, id: String) async -> String? {
        guard let url = URL(string: webhook.url) else { return "the URL cannot be parsed" }
        let timestamp = Int64(Date().timeIntervalSince1970)
        var request = URLRequest(url: url)
        request.httpMethod = "POST"
        request.httpBody = Data(body)
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.setValue(event, forHTTPHeaderField: WebhookSignature.eventHeader)
        request.setValue(id, forHTTPHeaderField: WebhookSignature.deliveryHeader)
        request.setValue("\(timestamp)", forHTTPHeaderField: WebhookSignature.timestampHeader)
        request.setValue(
            WebhookSignature.sign(secret: secret, timestamp: timestamp, body: body),
            forHTTPHeaderField: WebhookSignature.signatureHeader)
        do {
            let (_, response) = try await session.data(for: request)
            guard let status = (response as? HTTPURLResponse)?.statusCode else { return "no HTTP answer" }
            return (200...299).contains(status) ? nil : "answered \(status)"
        } catch {
            return "transport error: \((error as NSError).localizedDescription)"
        }
    }
}
