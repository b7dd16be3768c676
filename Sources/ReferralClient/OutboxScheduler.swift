import ReferralProtocol

/// Which outbox entries the connection thread sends, and when. Pure bookkeeping (no I/O); the store holds the
/// truth and this is rebuilt from it after a restart.
///
/// Rules (1/RBP §7.3, §11.4):
/// * at most `window` SENDs unanswered at a time;
/// * every unanswered SEND is sent again after each WELCOME, and within a session once it has had no answer
///   for `ack_timeout_ms` plus the time the SENDs then on their way (itself included) take on the slowest
///   supported link (§11.2): a large SEND on a slow link is answered late, not lost;
/// * a retryable rejection (STORE_FAILED, OVERLOADED, SHUTTING_DOWN, ...) delays that entry until its
///   `notBefore`; a final answer removes it;
/// * per case, one entry at a time: a later message of a case is not sent before the earlier one is
///   answered for good, so the broker accepts a case's messages in commit order even when one is refused
///   with `retry: true` and resent.
///
/// Entries are loaded from the store in commit order, page by page (`cursor`), so a large backlog after an
/// outage is never all in memory.
struct OutboxScheduler {
    struct Flight {
        var row: OutboxRow
        /// When it was last sent (wall-clock ms); nil means it must be sent (again) as soon as possible.
        var sentAt: Int64?
        /// How long the SENDs on their way when it was last sent (itself included) take at the minimum link rate.
        var transferMs: Int64 = 0

        /// When it is due for a resend, if it was sent.
        func resendAt(ackTimeout: Int64) -> Int64? { sentAt.map { $0 + ackTimeout + transferMs } }
    }

    /// The highest outbox position loaded so far.
    private(set) var cursor: Int64 = 0
    /// Whether the store may hold queued entries after `cursor`.
    private(set) var storeMayHaveMore = true
    private(set) var inFlight: [String: Flight] = [:]
    /// Ids of `inFlight` entries whose `sentAt` is nil.
    private var unsent: Set<String> = []
    /// Loaded, free to go, in commit order.
    private var ready: [OutboxRow] = []
    private var readyHead = 0
    /// Entries waiting behind an earlier unanswered entry of the same case, per case, in commit order.
    private var blocked: [String: [OutboxRow]] = [:]
    /// Entries refused with `retry: true`, by id, until their `notBefore`.
    private(set) var backingOff: [String: OutboxRow] = [:]
    /// Cases with an entry ready, in flight or backing off.
    private var busyCases: Set<String> = []
    /// Body octets of the `inFlight` entries that were sent (`sentAt` set): what is on its way (1/RBP §11.2).
    private(set) var octetsOnTheWire = 0
    /// At most the earliest `sentAt + transferMs` of the sent `inFlight` entries (nil: none was sent since the
    /// last scan): lowered by every send, made exact only when `tick` scans. The connection loop asks for its
    /// deadline on every turn; without this bound each turn walked every unanswered entry (up to a window of
    /// 1,024) twice.
    private var earliestSentBound: Int64?

    var readyCount: Int { ready.count - readyHead }
    var blockedCount: Int { blocked.values.reduce(0) { $0 + $1.count } }

    /// New entries were committed: the next `needsLoad` is true.
    mutating func outboxChanged() {
        storeMayHaveMore = true
    }

    /// Whether to load the next page now.
    func needsLoad(window: Int) -> Bool {
        storeMayHaveMore && readyCount == 0 && inFlight.count < window
    }

    /// Takes in the next page of queued entries (after `cursor`, in order); `limit` is the page size asked for.
    mutating func absorb(page: [OutboxRow], limit: Int, now: Int64) {
        if page.count < limit { storeMayHaveMore = false }
        take(page, now: now)
    }

    /// Entries the API has just committed, in commit order, handed over so that the store is not read for them.
    /// Taken only while nothing queued in the store lies beyond `cursor` (every entry committed later is handed
    /// over too) and while they fit in a page (`limit`) with those ready; otherwise the next load reads them.
    mutating func handOver(_ rows: [OutboxRow], limit: Int, now: Int64) {
        guard !storeMayHaveMore, readyCount + rows.count <= limit else {
            storeMayHaveMore = true
            return
        }
        take(rows, now: now)
    }

    private mutating func take(_ rows: [OutboxRow], now: Int64) {
        for row in rows where row.position > cursor {
            cursor = row.position
            guard inFlight[row.id] == nil, backingOff[row.id] == nil else { continue }
            if let caseId = row.caseId {
                if busyCases.contains(caseId) {
                    blocked[caseId, default: []].append(row)
                    continue
                }
                busyCases.insert(caseId)
            }
            place(row, now: now)
        }
    }

    private mutating func place(_ row: OutboxRow, now: Int64) {
        if let notBefore = row.notBefore, notBefore > now {
            backingOff[row.id] = row
        } else {
            ready.append(row)
        }
    }

    /// The next entry to send now, marked as sent at `now`: first the unanswered ones due for a resend, then new
    /// ones while fewer than `window` are unanswered. If the send fails, call `markUnsent`.
    mutating func nextToSend(window: Int, now: Int64) -> OutboxRow? {
        if !unsent.isEmpty,
            let resend = unsent.compactMap({ inFlight[$0] }).min(by: { $0.row.position < $1.row.position })
        {
            unsent.remove(resend.row.id)
            octetsOnTheWire += resend.row.body.count
            let transferMs = Liveness.transferMs(octets: octetsOnTheWire)
            inFlight[resend.row.id]?.sentAt = now
            inFlight[resend.row.id]?.transferMs = transferMs
            lowerEarliestSent(now + transferMs)
            return resend.row
        }
        guard inFlight.count < window, readyHead < ready.count else { return nil }
        let row = ready[readyHead]
        readyHead += 1
        if readyHead == ready.count {
            ready.removeAll(keepingCapacity: true)
            readyHead = 0
        }
        octetsOnTheWire += row.body.count
        let transferMs = Liveness.transferMs(octets: octetsOnTheWire)
        inFlight[row.id] = Flight(row: row, sentAt: now, transferMs: transferMs)
        lowerEarliestSent(now + transferMs)
        return row
    }

    private mutating func lowerEarliestSent(_ time: Int64) {
        earliestSentBound = min(earliestSentBound ?? time, time)
    }

    /// Takes an entry out of `inFlight`, and its body out of `octetsOnTheWire` if it was sent.
    private mutating func land(_ id: String) -> Flight? {
        guard let flight = inFlight.removeValue(forKey: id) else { return nil }
        unsent.remove(id)
        if flight.sentAt != nil { octetsOnTheWire -= flight.row.body.count }
        return flight
    }

    /// The send could not be handed to ZeroMQ; send it again as soon as possible.
    mutating func markUnsent(_ id: String) {
        guard let flight = inFlight[id] else { return }
        if flight.sentAt != nil { octetsOnTheWire -= flight.row.body.count }
        inFlight[id]?.sentAt = nil
        unsent.insert(id)
    }

    /// Whether an unanswered entry waits to be (re)sent.
    var hasUnsent: Bool { !unsent.isEmpty }

    /// After each WELCOME: everything unanswered goes again.
    mutating func resendAll() {
        for id in inFlight.keys { markUnsent(id) }
        earliestSentBound = nil
    }

    /// Entries unanswered for `ackTimeout` become due for a resend; backoffs that ended become ready.
    /// Walks the unanswered entries only once the earliest of them may be due, and makes the bound exact then.
    mutating func tick(now: Int64, ackTimeout: Int64?) {
        if let ackTimeout, let bound = earliestSentBound, now >= bound + ackTimeout {
            earliestSentBound = nil
            for (id, flight) in inFlight {
                guard let due = flight.resendAt(ackTimeout: ackTimeout) else { continue }
                if now >= due { markUnsent(id) } else { lowerEarliestSent(due - ackTimeout) }
            }
        }
        let due = backingOff.values.filter { ($0.notBefore ?? 0) <= now }.sorted { $0.position < $1.position }
        for row in due {
            backingOff[row.id] = nil
            // Ahead of new entries: it has waited longest.
            ready.insert(row, at: readyHead)
        }
    }

    /// The earliest time `tick` may have something to do (nil: nothing pending); never later than the first
    /// resend due, possibly earlier (an entry answered since the last scan), when `tick` only scans.
    func nextDeadline(ackTimeout: Int64?) -> Int64? {
        var deadline = backingOff.values.compactMap(\.notBefore).min()
        if let ackTimeout, let bound = earliestSentBound {
            deadline = min(deadline ?? Int64.max, bound + ackTimeout)
        }
        return deadline
    }

    /// A final answer (ACCEPTED, or REJECTED with `retry: false`): the entry leaves, and the next entry of its
    /// case may go. Unknown ids (late duplicate answers) are ignored.
    mutating func settle(_ id: String, now: Int64) {
        let row: OutboxRow?
        if let flight = land(id) {
            row = flight.row
        } else {
            row = backingOff.removeValue(forKey: id)
        }
        guard let caseId = row?.caseId else { return }
        if var waiting = blocked[caseId], !waiting.isEmpty {
            let next = waiting.removeFirst()
            blocked[caseId] = waiting.isEmpty ? nil : waiting
            place(next, now: now)
        } else {
            busyCases.remove(caseId)
        }
    }

    /// A REJECTED with `retry: true`: the entry waits until `notBefore`, keeping its case's place.
    mutating func retryLater(_ id: String, notBefore: Int64) {
        guard var flight = land(id) else { return }
        flight.row.notBefore = notBefore
        flight.row.retries += 1
        backingOff[id] = flight.row
    }

    /// The unanswered entry with this id, if any.
    func flight(_ id: String) -> Flight? { inFlight[id] }
}
