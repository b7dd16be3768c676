import Foundation
import ReferralClient
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// What became of one message of a gateway scenario: monotonic ns (0: not yet), and the stamps the broker and the
/// recipient's node stored (wall-clock ms).
struct MessageRecord: Sendable {
    var sendStart: UInt64 = 0
    var sendEnd: UInt64 = 0
    var handedOut: UInt64 = 0
    var completed: UInt64 = 0
    var acceptedAtMs: Int64 = 0
    var receivedAtMs: Int64 = 0
}

/// The shared state of one run of a path: which message is next (and, open loop, when it is due), what happened to
/// each, and the first failure (which stops every sender and consumer).
final class RunTracker: Sendable {
    let total: Int
    /// Open loop: message k is due at start + k / rate. nil: closed loop, each sender sends its next at once.
    let rate: Double?
    let startNanos: UInt64
    let startWallMillis: Double
    private let next = Atomic<Int>(0)
    let completedCount = Atomic<Int>(0)
    let handedOutAgain = Atomic<Int>(0)
    let records: Mutex<[MessageRecord]>
    let answers = Mutex<[Int: Int]>([:])
    private let failure = Mutex<String?>(nil)

    init(total: Int, rate: Double?) {
        self.total = total
        self.rate = rate
        records = Mutex([MessageRecord](repeating: MessageRecord(), count: total))
        startWallMillis = Clocks.wallMillis()
        startNanos = Clocks.monotonicNanos()
    }

    /// The next message to send; nil when all are taken or the run failed.
    func claim() -> Int? {
        guard !failed else { return nil }
        let number = next.add(1, ordering: .relaxed).oldValue
        return number < total ? number : nil
    }

    /// When message `number` is due (open loop), else nil.
    func due(_ number: Int) -> UInt64? { rate.map { startNanos + UInt64(Double(number) * 1e9 / $0) } }

    var isDone: Bool { completedCount.load(ordering: .acquiring) >= total }
    var failed: Bool { failure.withLock { $0 != nil } }
    var failureReason: String? { failure.withLock { $0 } }

    func fail(_ reason: String) {
        failure.withLock { if $0 == nil { $0 = reason } }
    }

    func sent(_ number: Int, start: UInt64, end: UInt64, status: Int) {
        records.withLock {
            $0[number].sendStart = start
            $0[number].sendEnd = end
        }
        answers.withLock { $0[status, default: 0] += 1 }
    }

    func handedOut(_ number: Int, at time: UInt64, acceptedAt: Int64, receivedAt: Int64) {
        let again = records.withLock { records -> Bool in
            guard records[number].handedOut == 0 else { return true }
            records[number].handedOut = time
            records[number].acceptedAtMs = acceptedAt
            records[number].receivedAtMs = receivedAt
            return false
        }
        if again { handedOutAgain.add(1, ordering: .relaxed) }
    }

    func completed(_ number: Int, at time: UInt64) {
        let first = records.withLock { records -> Bool in
            guard records[number].completed == 0 else { return false }
            records[number].completed = time
            return true
        }
        if first { completedCount.add(1, ordering: .releasing) }
    }
}

/// One way from a sending application to a receiving one: senders that send what `tracker` hands out (each when
/// it is due), and consumers that take every message out of the recipients' inboxes and complete it.
protocol DeliveryPath: Sendable {
    var label: String { get }
    func send(workers: Int, tracker: RunTracker, waitSeconds: Double) async throws
    func consume(workersPerRecipient: Int, tracker: RunTracker, deadline: UInt64) async throws
}

/// The same run on any path: senders and consumers together, until every message is completed at a recipient.
struct PathRun {
    var path: any DeliveryPath
    var messages: Int
    /// Open loop at this rate; nil: closed loop (as fast as the sends return).
    var rate: Double?
    var senders: Int
    var consumersPerRecipient: Int
    var waitSeconds: Double
    var timeout: Duration
    var daemon: Daemon
    /// The gateways' processes (their CPU is reported apart); none for the direct path.
    var gatewayPids: [Int32] = []

    func run() async throws -> PathMeasurement {
        var probe = try await IOProbe.start(adminEndpoint: daemon.adminEndpoint, brokerPid: daemon.pid)
        let gatewaysBefore = gatewayPids.map(IOProbe.cpuSeconds(pid:)).reduce(0, +)
        let tracker = RunTracker(total: messages, rate: rate)
        let deadline = tracker.startNanos + UInt64(timeout.components.seconds) * 1_000_000_000
        let (path, senders, consumers, wait) = (path, senders, consumersPerRecipient, waitSeconds)
        async let consumed: Void = path.consume(workersPerRecipient: consumers, tracker: tracker, deadline: deadline)
        do {
            try await path.send(workers: senders, tracker: tracker, waitSeconds: wait)
        } catch {
            tracker.fail("\(error)")
        }
        do {
            try await consumed
        } catch {
            tracker.fail("\(error)")
        }
        if let reason = tracker.failureReason { throw BenchError("\(path.label): \(reason)") }
        probe.markEnd()
        let gatewaysCPU = gatewayPids.map(IOProbe.cpuSeconds(pid:)).reduce(0, +) - gatewaysBefore
        let io = try await probe.finish(messages: messages, untilQuiet: true, timeout: timeout)
        return PathMeasurement(
            path: path.label, tracker: tracker, senders: senders, consumers: consumers, io: io,
            gatewaysCPUSeconds: gatewayPids.isEmpty ? nil : gatewaysCPU)
    }
}

/// The figures of one path's run.
struct PathMeasurement: Codable, Sendable {
    var path: String
    var messages: Int
    var senders: Int
    var consumersPerRecipient: Int
    var offeredRate: Double?
    /// Open loop: messages ÷ time until the last send started (below the offered rate if senders fell behind).
    var achievedRate: Double?
    /// First send started -> last send answered (POST 201/202, or `send` returned).
    var sendSeconds: Double
    var sendPerSecond: Double
    /// First send started -> last message completed at its recipient (end to end).
    var endToEndSeconds: Double
    var endToEndPerSecond: Double
    /// How the sends were answered: "201" accepted by the broker within `wait`, "202" in the sender's outbox.
    var answers: [String: Int]
    /// Messages handed out more than once (a lease that ran out before the completion): 0 in a healthy run.
    var handedOutAgain: Int
    /// The duration of one send (POST, or `send`).
    var sendCall: LatencySummary
    /// From each message's start (open loop: its scheduled time; closed loop: its send's start) until:
    /// the send was answered; the broker accepted it (`accepted_at`, whole ms); it was stored in the recipient's
    /// inbox (`received_at`, whole ms); the recipient's application got it (inbox poll answered / `nextMessages`
    /// returned); its completion was answered.
    var answered: LatencySummary
    var accepted: LatencySummary
    var inInbox: LatencySummary
    var handedOut: LatencySummary
    var completed: LatencySummary
    var io: IOCounts
    var gatewaysCPUSeconds: Double?

    init(
        path: String, tracker: RunTracker, senders: Int, consumers: Int, io: IOCounts, gatewaysCPUSeconds: Double?
    ) {
        let records = tracker.records.withLock { $0 }
        let start = tracker.startNanos
        func ms(_ from: UInt64, _ to: UInt64) -> Double { (Double(to) - Double(from)) / 1e6 }
        var origins: [UInt64] = []
        var sendCalls: [Double] = []
        var answered: [Double] = []
        var accepted: [Double] = []
        var inInbox: [Double] = []
        var handedOut: [Double] = []
        var completed: [Double] = []
        for (number, record) in records.enumerated() {
            let origin = tracker.due(number) ?? record.sendStart
            let originWall = tracker.startWallMillis + ms(start, origin)
            origins.append(origin)
            sendCalls.append(ms(record.sendStart, record.sendEnd))
            answered.append(ms(origin, record.sendEnd))
            accepted.append(Double(record.acceptedAtMs) - originWall)
            inInbox.append(Double(record.receivedAtMs) - originWall)
            handedOut.append(ms(origin, record.handedOut))
            completed.append(ms(origin, record.completed))
        }
        let empty = LatencySummary([0])!
        self.path = path
        messages = records.count
        self.senders = senders
        consumersPerRecipient = consumers
        offeredRate = tracker.rate
        let lastStart = records.map(\.sendStart).max() ?? start
        if tracker.rate != nil {
            let span = max(Double(lastStart - start) / 1e9, Double(records.count - 1) / (tracker.rate ?? 1))
            achievedRate = span > 0 ? Double(records.count - 1) / span : nil
        }
        sendSeconds = Double((records.map(\.sendEnd).max() ?? start) - start) / 1e9
        sendPerSecond = Double(records.count) / max(sendSeconds, 1e-9)
        endToEndSeconds = Double((records.map(\.completed).max() ?? start) - start) / 1e9
        endToEndPerSecond = Double(records.count) / max(endToEndSeconds, 1e-9)
        answers = Dictionary(uniqueKeysWithValues: tracker.answers.withLock { $0 }.map { (String($0.key), $0.value) })
        handedOutAgain = tracker.handedOutAgain.load(ordering: .relaxed)
        sendCall = LatencySummary(sendCalls) ?? empty
        self.answered = LatencySummary(answered) ?? empty
        self.accepted = LatencySummary(accepted) ?? empty
        self.inInbox = LatencySummary(inInbox) ?? empty
        self.handedOut = LatencySummary(handedOut) ?? empty
        self.completed = LatencySummary(completed) ?? empty
        self.io = io
        self.gatewaysCPUSeconds = gatewaysCPUSeconds
    }

    /// Cores: broker + this process (+ both gateways), and other processes (the gateways not counted there).
    var coresText: String {
        guard io.wallSeconds > 0 else { return "-" }
        var text = String(
            format: "%.2f+%.2f", io.brokerCPUSeconds / io.wallSeconds, io.nodesCPUSeconds / io.wallSeconds)
        if let gatewaysCPUSeconds { text += String(format: "+%.2f", gatewaysCPUSeconds / io.wallSeconds) }
        return text
    }

    var otherCoresText: String {
        guard io.wallSeconds > 0 else { return "-" }
        return String(format: "%.2f", max(0, io.otherCPUSeconds - (gatewaysCPUSeconds ?? 0)) / io.wallSeconds)
    }
}

/// Sleeps the calling thread (a sender thread of its own, never a pool thread) until the monotonic deadline.
func sleepThread(untilMonotonic deadline: UInt64) {
    while true {
        let now = Clocks.monotonicNanos()
        guard deadline > now else { return }
        let left = deadline - now
        var time = timespec(tv_sec: Int(left / 1_000_000_000), tv_nsec: Int(left % 1_000_000_000))
        _ = nanosleep(&time, nil)
    }
}
