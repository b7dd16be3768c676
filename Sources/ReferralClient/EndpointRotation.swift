/// Which of the broker's endpoints the node connects to, and how long it waits before its next socket
/// (1/RBP §11.4, several endpoints). Pure bookkeeping: the connection loop reports how each try ended and
/// carries out the answer; the clock (`now`) and the jitter's random draw (`random`, a number in the range given)
/// come from the caller.
///
/// Rules:
/// * one endpoint at a time, starting with the first; the node stays on the one that sent WELCOME;
/// * an endpoint that gives no session (NOT_ACTIVE, a refused connection or handshake, no WELCOME in time, a
///   silent broker: `Failure.tryAnother`) is left for the next one in order after `switchDelayMs` (±20 %);
/// * only after a whole round without WELCOME (every endpoint given up once since the last WELCOME or backoff) does
///   the reconnect backoff apply, doubling from `initialBackoffMs` up to `maxBackoffMs`;
/// * any other failure (another fatal ERROR, a socket error: `Failure.backOff`) waits the backoff and tries the
///   same endpoint again.
///
/// With one endpoint every failure waits the backoff: NOT_ACTIVE is then like any fatal ERROR.
struct EndpointRotation {
    enum Failure: Equatable {
        /// This endpoint gives no session; another one may (1/RBP §11.4's list).
        case tryAnother
        /// The session ended for a reason another endpoint would share: back off, same endpoint.
        case backOff
    }

    /// The broker's endpoints, in the configured order (at least one).
    let endpoints: [String]
    let initialBackoffMs: Int64
    let maxBackoffMs: Int64
    /// The endpoint connected to now, or next.
    private(set) var index = 0
    /// Endpoints given up since the last WELCOME or the last backoff.
    private(set) var givenUp = 0
    /// The wait of the next backoff (before jitter).
    private(set) var backoffMs: Int64

    /// The wait before the next endpoint (1/RBP §11).
    static let switchDelayMs: Int64 = 250
    /// Every wait is jittered by ±20 % (1/RBP §11.4), so that nodes cut off together do not come back together.
    static let jitter: ClosedRange<Double> = 0.8...1.2

    init(endpoints: [String], initialBackoffMs: Int64, maxBackoffMs: Int64) {
        precondition(!endpoints.isEmpty, "a node needs at least one broker endpoint")
        self.endpoints = endpoints
        self.initialBackoffMs = initialBackoffMs
        self.maxBackoffMs = max(initialBackoffMs, maxBackoffMs)
        self.backoffMs = initialBackoffMs
    }

    /// The endpoint to connect to.
    var current: String { endpoints[index] }

    /// Whether there is another endpoint to move to (only then is a refused or slow connection given up rather
    /// than left to libzmq's own reconnects).
    var hasSeveral: Bool { endpoints.count > 1 }

    /// The current endpoint sent WELCOME: the node stays on it, and the next failure starts a new round.
    mutating func welcomed() {
        givenUp = 0
        backoffMs = initialBackoffMs
    }

    /// The try on the current endpoint ended at `now` (monotonic ms) without a session, or the session ended: moves
    /// on as the rules say and returns when (monotonic ms) to open the next socket, on `current`.
    mutating func failed(_ failure: Failure, now: Int64, random: (ClosedRange<Double>) -> Double) -> Int64 {
        if failure == .tryAnother, hasSeveral {
            index = (index + 1) % endpoints.count
            givenUp += 1
            if givenUp < endpoints.count {
                return now + Self.jittered(Self.switchDelayMs, random)
            }
        }
        // A whole round without WELCOME, a single endpoint, or a failure another endpoint would share.
        givenUp = 0
        let wait = Self.jittered(backoffMs, random)
        backoffMs = min(backoffMs * 2, maxBackoffMs)
        return now + wait
    }

    private static func jittered(_ milliseconds: Int64, _ random: (ClosedRange<Double>) -> Double) -> Int64 {
        Int64((Double(milliseconds) * random(jitter)).rounded())
    }
}
