import Synchronization

/// What /ready answers (METRICS-CONTRACT): ready once the store is open and the sockets are bound, not ready again
/// from the moment a stop (SIGTERM) begins the drain. Written by the engine, read by the HTTP listener.
public final class Readiness: Sendable {
    public enum Phase: String, Sendable, Hashable {
        /// Before the store is open (waiting for its lock, migrating, restoring) or the sockets are bound.
        case starting
        case ready
        /// A stop began: the broker drains and exits.
        case stopping
    }

    private let phase = Mutex(Phase.starting)
    private let http = Mutex<String?>(nil)

    /// The HTTP listener's bound address, for the ready file (set by the listener before the store opens).
    public var httpAddress: String? {
        get { http.withLock { $0 } }
        set { http.withLock { $0 = newValue } }
    }

    public init() {}

    public var current: Phase { phase.withLock { $0 } }
    public var isReady: Bool { current == .ready }

    /// The store is open and the sockets are bound (never after a stop began).
    func markReady() { phase.withLock { if $0 == .starting { $0 = .ready } } }

    func markStopping() { phase.withLock { $0 = .stopping } }
}
