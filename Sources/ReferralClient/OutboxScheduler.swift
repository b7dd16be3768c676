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
            inFlight[resend.row.id]?.sentAt = now
            inFlight[resend.row.id]?.transferMs = Liveness.transferMs(octets: octetsOnTheWire)
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
        inFlight[row.id] = Flight(row: row, sentAt: now, transferMs: Liveness.transferMs(octets: octetsOnTheWire))
        return row
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
    }

    /// Entries unanswered for `ackTimeout` become due for a resend; backoffs that ended become ready.
    mutating func tick(now: Int64, ackTimeout: Int64?) {
        if let ackTimeout {
            for (id, flight) in inFlight {
                if let due = flight.resendAt(ackTimeout: ackTimeout), now >= due { markUnsent(id) }
            }
        }
        let due = backingOff.values.filter { ($0.notBefore ?? 0) <= now }.sorted { $0.position < $1.position }
        for row in due {
            backingOff[row.id] = nil
            // Ahead of new entries: it has waited longest.
            ready.insert(row, at: readyHead)
        }
    }

    /// The earliest time `tick` has something to do (nil: nothing pending).
    func nextDeadline(ackTimeout: Int64?) -> Int64? {
        var deadline = backingOff.values.compactMap(\.notBefore).min()
        if let ackTimeout {
            for flight in inFlight.values {
                if let due = flight.resendAt(ackTimeout: ackTimeout) { deadline = min(deadline ?? Int64.max, due) }
            }
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
