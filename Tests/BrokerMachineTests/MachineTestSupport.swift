import AgencyDirectory
import BrokerCore
import CaseCore
import ReferralProtocol
import StoreModel

@testable import BrokerMachine

/// A made-up but well-formed Z85 public key, distinct for each `n`.
func fakeKey(_ n: Int) -> String {
    let alphabet = Array("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#")
    return String(alphabet[n % 85]) + String(alphabet[n / 85 % 85]) + String(repeating: "Q", count: 38)
}

/// The demo directory (made-up nodes of one county) with fake keys; `suspended` nodes are suspended, `rekeyed`
/// ones have another key.
func demoDirectory(suspended: Set<String> = [], rekeyed: Set<String> = []) throws -> Directory {
    let keys = Dictionary(
        uniqueKeysWithValues: DemoDirectory.ids.enumerated().map {
            ($0.element, fakeKey($0.offset + (rekeyed.contains($0.element) ? 500 : 0)))
        })
    let entries = DemoDirectory.entries(publicKeys: keys).map { entry in
        var entry = entry
        if suspended.contains(entry.id) { entry.state = .suspended }
        return entry
    }
    return try Directory(entries: entries, divisions: DivisionTable.fujian())
}

/// A machine with a hand-driven clock: every event carries `now`, which only the test moves.
struct Rig {
    var machine: BrokerMachine
    /// 2026-03-02 09:00 China time, a Monday.
    var now: Int64 = 1_772_413_200_000
    private var nextConnection: UInt8 = 1
    private var buffer: [MachineAction] = []

    init(
        plaintext: Bool = true, configure: (inout MachineSettings) -> Void = { _ in },
        scheduler: (inout SchedulerConfig) -> Void = { _ in }
    ) throws {
        var settings = MachineSettings(storeEpoch: "00112233445566778899aabbccddeeff")
        settings.keyFingerprint = { "fp-\($0.prefix(2))" }
        configure(&settings)
        var config = SchedulerConfig()
        config.ackTimeoutMs = 10_000
        config.initialBackoffMs = 1_000
        config.maxBackoffMs = 8_000
        config.maxAttempts = 3
        config.receiptResendMs = 10_000
        scheduler(&config)
        let jurisdiction = Jurisdiction(directory: try demoDirectory(), policy: .default, plaintext: plaintext)
        machine = BrokerMachine(
            settings: settings, jurisdiction: jurisdiction, escalation: .defaults,
            scheduler: DeliveryScheduler(config: config))
    }

    /// Every test event goes through the shell's entry point, with one buffer reused across events as the shell
    /// does (`handle(_:into:)`); the buffer is emptied after each event.
    mutating func handle(_ event: MachineEvent) -> [MachineAction] {
        machine.handle(event, into: &buffer)
        defer { buffer.removeAll(keepingCapacity: true) }
        return buffer
    }

    /// A new connection's routing id.
    mutating func connection() -> [UInt8] {
        defer { nextConnection += 1 }
        return [0, nextConnection]
    }

    mutating func command(_ command: Command, on routingId: [UInt8], key: String? = nil) -> [MachineAction] {
        handle(
            .received(
                Arrival(routingId: routingId, userId: key, peer: "127.0.0.1", command: .success(command)), now: now))
    }

    /// HELLO from `node` on a new connection; returns the connection.
    @discardableResult
    mutating func connect(_ node: String, window: Int = 8) -> [UInt8] {
        let routingId = connection()
        _ = command(.hello(Hello(node: node, window: window)), on: routingId)
        return routingId
    }

    mutating func send(_ message: Send, on routingId: [UInt8]) -> [MachineAction] {
        command(.send(message), on: routingId)
    }

    mutating func stored(_ completions: StoreCompletion...) -> [MachineAction] {
        handle(.stored(completions, now: now))
    }

    mutating func tick(after ms: Int64 = 0) -> [MachineAction] {
        now += ms
        return handle(.tick(now: now))
    }

    /// Reports every DELIVER in `actions` as `outcome`; returns what the machine did about it.
    mutating func report(_ actions: [MachineAction], _ outcome: DeliveryOutcome = .sent) -> [MachineAction] {
        actions.delivers.flatMap { handle(.delivery(node: $0.node, $0.deliver, outcome, now: now)) }
    }

    /// A referral from gl-school-1 stored as seq 7 and delivered to gl-child-psych; returns both connections.
    mutating func referralInFlight() -> (school: [UInt8], clinic: [UInt8]) {
        let school = connect("gl-school-1")
        let clinic = connect("gl-child-psych")
        _ = accept(referral(), on: school, seq: 7)
        _ = report(tick())
        return (school, clinic)
    }

    /// A SEND from `from` (connected on `routingId`) accepted and stored as `seq`; returns the actions of the commit.
    mutating func accept(_ message: Send, on routingId: [UInt8], seq: Int64) -> [MachineAction] {
        guard let pending = send(message, on: routingId).accepts.first else { return [] }
        return stored(.accepted(pending, .stored(seq: seq)))
    }
}

/// An operator's admin connection (a REQ socket: its replies carry the delimiter back).
let operatorPeer = AdminPeer(routingId: [9, 9], delimited: true)

func referral(_ id: String = "m-1", to: [String] = ["gl-child-psych"], case caseId: String? = "case-1") -> Send {
    Send(id: id, to: to, kind: "referral.request", caseId: caseId, priority: .urgent, body: Array("{}".utf8))
}

extension Array where Element == MachineAction {
    var sends: [(command: Command, to: [UInt8])] {
        compactMap { if case .send(let command, let to) = $0 { (command, to) } else { nil } }
    }

    var commands: [Command] { sends.map(\.command) }

    var delivers: [(deliver: Deliver, node: String, to: [UInt8])] {
        compactMap { if case .deliver(let deliver, let node, let to) = $0 { (deliver, node, to) } else { nil } }
    }

    var requests: [StoreRequest] { compactMap { if case .store(let request) = $0 { request } else { nil } } }

    var accepts: [PendingAccept] { requests.compactMap { if case .accept(let pending) = $0 { pending } else { nil } } }

    var audits: [AuditEvent] { requests.compactMap { if case .audit(let event) = $0 { event } else { nil } } }

    var persists: [PersistOp] { requests.compactMap { if case .persist(let op) = $0 { op } else { nil } } }

    var settlements: [SettledDelivery] {
        persists.compactMap { if case .settled(let settled) = $0 { settled } else { nil } }
    }

    var fires: [FireRequest] { requests.compactMap { if case .fire(let fire) = $0 { fire } else { nil } } }

    var rejected: [Rejected] { commands.compactMap { if case .rejected(let rejected) = $0 { rejected } else { nil } } }

    var errors: [ErrorReply] { commands.compactMap { if case .error(let error) = $0 { error } else { nil } } }

    var accepted: [Accepted] { commands.compactMap { if case .accepted(let accepted) = $0 { accepted } else { nil } } }

    var replies: [(response: AdminResponse, to: AdminPeer)] {
        compactMap { if case .reply(let response, let to) = $0 { (response, to) } else { nil } }
    }

    var adminReads: [(read: AdminRead, replyTo: AdminPeer)] {
        requests.compactMap { if case .adminRead(let read, let to) = $0 { (read, to) } else { nil } }
    }

    var receipts: [Receipt] { commands.compactMap { if case .receipt(let receipt) = $0 { receipt } else { nil } } }
}

extension DeadlineItem {
    /// The item's text when it is stored as given (`.text`); nil for the arming message's delivery.
    var text: String? {
        if case .text(let text) = self { text } else { nil }
    }
}
