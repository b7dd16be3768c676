/// The broker lease's decisions, without I/O and without a clock of its own (POSTGRES-PLAN §5): the shell
/// (`PostgresLease`) asks `poll(now:)` what to do, runs the statement it names, and hands the result back. `now` is
/// a monotonic time in milliseconds, injected; only differences between two `now`s matter.
///
/// Rules:
/// - A standby tries to acquire every `standbyPollMilliseconds` (after a failure: that long after the failure).
/// - An active instance renews every `renewMilliseconds`, counted from when the last successful renewal was SENT
///   (the database set the expiry at a later moment of its own clock, so the lease lasts at least that long); a
///   failed renewal is retried after `standbyPollMilliseconds`.
/// - Lost (the row carries another epoch): stop being active at once; nothing to release.
/// - Silent (no successful renewal sent within `silenceLimitMilliseconds` = ttl − renew): stop being active, before
///   the lease can expire under it, and release the lease if the database answers.
/// - Resigned (asked to step down): stop being active and release, so a standby takes over at its next poll.
/// - A lease won so late that it is already past the silence limit is released unused (never reported).
public struct LeaseClock: Sendable {
    public enum Role: Sendable, Hashable {
        case standby
        case active(epoch: Int64)
    }

    /// What the shell does next. After `acquire`, `renew` or `release`, it reports the result with `acquired`,
    /// `renewed` or `released`; after `sleep`, it calls `poll` again at `until` (or earlier: polling early is
    /// harmless).
    public enum Operation: Sendable, Hashable {
        case acquire
        case renew(epoch: Int64)
        case release(epoch: Int64)
        case sleep(until: Int64)
    }

    public enum AcquireResult: Sendable, Hashable {
        /// The UPDATE returned a row: this instance holds the lease with this epoch.
        case won(epoch: Int64)
        /// No row: the lease is held and not expired.
        case notWon
        /// The statement failed (connection, lock timeout): nothing known.
        case failed
    }

    public enum RenewResult: Sendable, Hashable {
        /// The row still carries this epoch: its expiry moved on.
        case renewed
        /// No row with this epoch: another instance took over.
        case lost
        /// The statement failed: nothing known.
        case failed
    }

    public enum StopReason: String, Sendable, Hashable, CustomStringConvertible {
        /// Another instance took the lease (the renewal found another epoch).
        case lost
        /// No successful renewal for ttl − renew: the database or the network is not answering.
        case silent
        /// Asked to step down (graceful stop, or the broker found itself fenced).
        case resigned

        public var description: String {
            switch self {
            case .lost: "the lease was taken by another instance"
            case .silent: "no successful renewal within ttl - renew"
            case .resigned: "stepped down"
            }
        }
    }

    public enum Event: Sendable, Hashable {
        case becameActive(epoch: Int64)
        case stoppedBeingActive(epoch: Int64, reason: StopReason)
    }

    /// The events an input produced (in order) and what to do next.
    public struct Step: Sendable, Hashable {
        public var events: [Event]
        public var operation: Operation

        public init(events: [Event], operation: Operation) {
            self.events = events
            self.operation = operation
        }
    }

    public let timings: LeaseTimings
    public private(set) var role: Role = .standby
    /// When the next acquire (standby) or renewal (active) is due.
    public private(set) var dueAt: Int64
    /// When the newest successful acquire or renewal was sent (meaningful while active).
    private var confirmedAt: Int64 = 0
    /// The statement the shell is running and when it was sent.
    private var attempt: (operation: Operation, sentAt: Int64)?
    /// A lease epoch to give back before anything else (best effort: one attempt).
    private var releaseOwed: Int64?

    /// Starts as a standby whose first acquire is due at once.
    public init(timings: LeaseTimings = LeaseTimings(), now: Int64) {
        self.timings = timings
        self.dueAt = now
    }

    /// When an active instance stops unless a renewal succeeds first; nil on a standby.
    public var giveUpAt: Int64? {
        guard case .active = role else { return nil }
        return confirmedAt + timings.silenceLimitMilliseconds
    }

    /// Applies the silence rule, then says what to do at `now`.
    public mutating func poll(now: Int64) -> Step {
        let events = stopIfSilent(now: now)
        if let epoch = releaseOwed {
            return Step(events: events, operation: send(.release(epoch: epoch), now: now))
        }
        guard now >= dueAt else {
            return Step(events: events, operation: .sleep(until: min(dueAt, giveUpAt ?? dueAt)))
        }
        switch role {
        case .standby:
            return Step(events: events, operation: send(.acquire, now: now))
        case .active(let epoch):
            return Step(events: events, operation: send(.renew(epoch: epoch), now: now))
        }
    }

    /// The result of the `acquire` operation.
    public mutating func acquired(_ result: AcquireResult, now: Int64) -> [Event] {
        guard let sentAt = finish(.acquire), role == .standby else { return [] }
        switch result {
        case .won(let epoch):
            if now >= sentAt + timings.silenceLimitMilliseconds {
                // Too late to be sure of one renew interval on it: give it back rather than be active on it.
                releaseOwed = epoch
                dueAt = now + timings.standbyPollMilliseconds
                return []
            }
            role = .active(epoch: epoch)
            confirmedAt = sentAt
            dueAt = sentAt + timings.renewMilliseconds
            return [.becameActive(epoch: epoch)]
        case .notWon:
            dueAt = sentAt + timings.standbyPollMilliseconds
            return []
        case .failed:
            dueAt = now + timings.standbyPollMilliseconds
            return []
        }
    }

    /// The result of the `renew` operation.
    public mutating func renewed(_ result: RenewResult, now: Int64) -> [Event] {
        guard case .renew(let epoch)? = attempt?.operation, let sentAt = finish(.renew(epoch: epoch)),
            role == .active(epoch: epoch)
        else { return [] }
        switch result {
        case .renewed:
            confirmedAt = max(confirmedAt, sentAt)
            dueAt = sentAt + timings.renewMilliseconds
            return stopIfSilent(now: now)
        case .lost:
            role = .standby
            dueAt = now + timings.standbyPollMilliseconds
            return [.stoppedBeingActive(epoch: epoch, reason: .lost)]
        case .failed:
            dueAt = now + timings.standbyPollMilliseconds
            return stopIfSilent(now: now)
        }
    }

    /// The `release` operation ended (whatever its result: it is attempted once).
    public mutating func released(now: Int64) {
        guard case .release(let epoch)? = attempt?.operation, finish(.release(epoch: epoch)) != nil else { return }
        releaseOwed = nil
    }

    /// Steps down: an active instance stops at once and owes a release; a standby is unchanged.
    public mutating func resign(now: Int64) -> [Event] {
        guard case .active(let epoch) = role else { return [] }
        return stop(epoch: epoch, reason: .resigned, release: true, now: now)
    }

    private mutating func stopIfSilent(now: Int64) -> [Event] {
        guard case .active(let epoch) = role, let giveUpAt, now >= giveUpAt else { return [] }
        return stop(epoch: epoch, reason: .silent, release: true, now: now)
    }

    private mutating func stop(epoch: Int64, reason: StopReason, release: Bool, now: Int64) -> [Event] {
        role = .standby
        attempt = nil
        if release { releaseOwed = epoch }
        dueAt = now + timings.standbyPollMilliseconds
        return [.stoppedBeingActive(epoch: epoch, reason: reason)]
    }

    private mutating func send(_ operation: Operation, now: Int64) -> Operation {
        attempt = (operation, now)
        return operation
    }

    /// Ends the attempt if it is `operation`; returns when it was sent.
    private mutating func finish(_ operation: Operation) -> Int64? {
        guard let attempt, attempt.operation == operation else { return nil }
        self.attempt = nil
        return attempt.sentAt
    }
}
