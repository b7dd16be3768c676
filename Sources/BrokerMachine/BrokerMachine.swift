import AgencyDirectory
import BrokerCore
import CaseCore
import ReferralProtocol
import StoreModel

/// The broker's decisions, as one pure state machine (in the style of postgres-nio's connection state machine and
/// `DeliveryScheduler`): the shell feeds it events (`handle`) with the time, and carries out the actions it
/// returns — frames to send, store work, audit records, log lines. No sockets, no store, no clock.
///
/// It owns admission (rate limit, policy, address resolution, follow-up plans, the content digest), what the
/// store's completions mean (ACCEPTED only once committed), case tracking and escalation planning, the window of
/// due deadlines, the sessions (node ↔ routing id), the message cache and the loads, the stop, and the
/// `DeliveryScheduler` that decides deliveries and receipts.
public struct BrokerMachine: Sendable {
    public let settings: MachineSettings
    /// The directory in force: the file's (`fileJurisdiction`) with the operators' overrides laid over it.
    public internal(set) var jurisdiction: Jurisdiction
    /// The directory and policy as the files say (loaded at start and by each reload).
    public internal(set) var fileJurisdiction: Jurisdiction
    /// The operators' node overrides, by node, as the store keeps them (`BrokerMachine+NodeAdmin`).
    public internal(set) var overrides: [String: NodeOverride] = [:]
    /// A NODE-MOVE-BACKLOG is being written: a second one waits for it (MOVE_REFUSED).
    var backlogMoveRunning = false
    public internal(set) var escalation: EscalationSettings
    var planner: EscalationPlanner
    public internal(set) var scheduler: DeliveryScheduler
    var rateLimiter: RateLimiter
    var cache: MessageCache
    var sessions = Sessions()
    /// SENDs handed to the store and not answered yet.
    public internal(set) var pendingAccepts = 0
    /// Deliveries waiting for their message to be read from the store.
    var waitingForLoad: [Int64: [(node: String, session: UInt64, attempt: Int)]] = [:]
    var loadRequests: [Int64] = []
    var deadlineWindow = DeadlineWindow()
    /// Retention: when purge runs start and where the current one is.
    public internal(set) var purges: PurgeSchedule
    public internal(set) var stopping = false
    var stopDeadline: Int64 = 0
    /// Where the rules append their actions: during `handle(_:into:)`, the caller's buffer; empty between events.
    var actions: [MachineAction] = []
    /// The scheduler's effects of one tick, in a buffer kept between ticks (`tick`).
    var effects: [Effect] = []
    /// What the broker has done since it started (the metrics' counters; STATS).
    public internal(set) var tallies = MachineTallies()
    var deliveredKinds = DeliveredKinds()
    /// Deadlines being fired with a notice, and their risk: counted as escalations once the fire commits.
    var firingNotices: [Int64: String?] = [:]
    /// The last AUDIT-VERIFY's outcome (nil before the first since start).
    public internal(set) var lastAuditCheck: AdminStats.AuditCheck?
    /// When the periodic audit verification runs next (`MachineSettings.auditVerifyIntervalMs`).
    var nextAuditVerifyAt: Int64?

    /// `overrides`: the operators' node overrides from the store, laid over `jurisdiction` (the files') as of `now`.
    public init(
        settings: MachineSettings, jurisdiction: Jurisdiction, escalation: EscalationSettings,
        scheduler: DeliveryScheduler, overrides: [NodeOverride] = [], now: Int64 = 0
    ) {
        self.settings = settings
        self.fileJurisdiction = jurisdiction
        self.overrides = Dictionary(overrides.map { ($0.node, $0) }, uniquingKeysWith: { _, last in last })
        self.jurisdiction = NodeOverrideLayer.apply(self.overrides, to: jurisdiction, now: now).jurisdiction
        self.escalation = escalation
        self.planner = EscalationPlanner(calendar: escalation.calendar)
        self.scheduler = scheduler
        self.rateLimiter = RateLimiter(perSecond: settings.ratePerSecond, burst: settings.rateBurst)
        self.cache = MessageCache(capacityBytes: settings.messageCacheBytes)
        self.purges = PurgeSchedule(settings: settings.retention)
    }

    /// Decides what `event` means and returns what to do, in order.
    public mutating func handle(_ event: MachineEvent) -> [MachineAction] {
        var taken: [MachineAction] = []
        handle(event, into: &taken)
        return taken
    }

    /// Decides what `event` means and appends what to do, in order, to `buffer`: the shell's hot path hands in
    /// one buffer it keeps (emptied, capacity kept), so that an event costs no new array of actions.
    public mutating func handle(_ event: MachineEvent, into buffer: inout [MachineAction]) {
        // The rules append to `actions`; for this event that is the caller's buffer (a swap: nothing is copied).
        swap(&actions, &buffer)
        defer { swap(&actions, &buffer) }
        decide(event)
    }

    private mutating func decide(_ event: MachineEvent) {
        switch event {
        case .received(let arrival, let now): receive(arrival, now: now)
        case .delivery(let node, let deliver, let outcome, let now): delivery(node: node, deliver, outcome, now: now)
        case .stored(let completions, let now): complete(completions, now: now)
        case .admin(let arrival, let now): admin(arrival, now: now)
        case .tick(let now): tick(now: now)
        case .reload(let loaded, let replyTo, let now): reload(loaded, replyTo: replyTo, now: now)
        case .stop(let now): beginStop(now: now)
        case .finish:
            for routingId in sessions.routingIds { actions.append(.send(.bye, to: routingId)) }
        case .stepDown:
            let notActive = ErrorReply(
                code: .notActive, reason: "this instance stopped being the active one: try the next endpoint",
                fatal: true)
            for routingId in sessions.routingIds { actions.append(.send(.error(notActive), to: routingId)) }
        }
        if !loadRequests.isEmpty {
            actions.append(.store(.load(seqs: loadRequests)))
            loadRequests.removeAll(keepingCapacity: true)
        }
    }

    /// When the shell must wake the machine with a tick at the latest (nil: nothing timed is waiting).
    public var nextWakeup: Int64? {
        // Asked once per turn of the shell's loop: no array of candidates.
        let timers: Int64? =
            switch (scheduler.nextWakeup(), deadlineWindow.nextWakeup) {
            case (let a?, let b?): min(a, b)
            case (let a, let b): a ?? b
            }
        let due: Int64? =
            switch (timers, purges.nextWakeup) {
            case (let a?, let b?): min(a, b)
            case (let a, let b): a ?? b
            }
        guard !jurisdiction.graceKeys.isEmpty, let expiry = jurisdiction.nextKeyExpiry else { return due }
        return min(due ?? expiry, expiry)
    }

    /// The node whose session a connection holds.
    public func node(onConnection routingId: [UInt8]) -> String? { sessions.node(routingId) }

    /// The scheduler's timers, then due deadlines.
    mutating func tick(now: Int64) {
        if !jurisdiction.graceKeys.isEmpty { expireKeys(now: now) }
        scheduler.tick(now: now)
        scheduler.pump(now: now)
        scheduler.takeEffects(into: &effects)
        carryOut(effects, now: now)
        effects.removeAll(keepingCapacity: true)
        if !stopping {
            fireDueDeadlines(now: now)
            verifyAuditWhenDue(now: now)
        }
        if !stopping, let step = purges.tick(now: now) { actions.append(.store(.purge(step))) }
    }

    mutating func audit(_ event: AuditEvent) { actions.append(.store(.audit(event))) }

    mutating func log(_ level: LogLine.Level, _ message: String, _ metadata: [String: String] = [:]) {
        actions.append(.log(LogLine(level, message, metadata)))
    }
}

/// Which connection holds each node's session, both ways.
struct Sessions: Sendable {
    private var byNode: [String: (session: UInt64, routingId: [UInt8], key: String?)] = [:]
    private var byRoutingId: [[UInt8]: String] = [:]

    func node(_ routingId: [UInt8]) -> String? { byRoutingId[routingId] }
    func connection(_ node: String) -> (session: UInt64, routingId: [UInt8])? {
        byNode[node].map { ($0.session, $0.routingId) }
    }
    var routingIds: [[UInt8]] { byNode.values.map(\.routingId) }
    /// Every session's node and the key it authenticated with (nil in plaintext mode), by node.
    var keys: [(node: String, key: String?)] { byNode.map { ($0.key, $0.value.key) }.sorted { $0.node < $1.node } }

    /// `node`'s new session on `routingId`, authenticated with `key`; its former connection, if another, no longer
    /// speaks for it.
    mutating func open(_ node: String, session: UInt64, on routingId: [UInt8], key: String? = nil) {
        if let old = byNode[node], old.routingId != routingId { byRoutingId[old.routingId] = nil }
        byNode[node] = (session, routingId, key)
        byRoutingId[routingId] = node
    }

    /// Forgets the connection's session; returns its node.
    mutating func close(onConnection routingId: [UInt8]) -> String? {
        guard let node = byRoutingId.removeValue(forKey: routingId) else { return nil }
        if byNode[node]?.routingId == routingId { byNode[node] = nil }
        return node
    }

    /// Forgets `node`'s session if it is still `session` (the scheduler ended it).
    mutating func ended(_ node: String, session: UInt64) {
        guard let connection = byNode[node], connection.session == session else { return }
        byNode[node] = nil
        if byRoutingId[connection.routingId] == node { byRoutingId[connection.routingId] = nil }
    }
}
