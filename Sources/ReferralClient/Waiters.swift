import Synchronization

/// What an async caller waits for; the connection thread wakes the key after the change is committed.
enum WaitKey: Hashable, Sendable {
    /// A final answer (ACCEPTED or final REJECTED) for this outbox id.
    case outcome(String)
    /// A new receipt for this message id.
    case receipts(String)
    /// A new message in the inbox.
    case inbox
    /// A new receipt of any message.
    case receiptLog
    /// A new final rejection of any outbox entry.
    case rejectionLog
    /// A new entry in the event log.
    case eventLog
}

/// Ends a wait whose time is up (internal; callers turn it into nil or `ReferralClientError.timedOut`).
struct WaitTimedOut: Error {}

/// One async wait. `wake()` resumes it (or, if it is not suspended yet, makes its next `suspend()` return at
/// once, so no wake-up is lost between checking and suspending); `fail(_:)` ends it for good.
final class Waiter: Sendable {
    private enum State {
        case idle(woken: Bool)
        case suspended(CheckedContinuation<Void, any Error>)
        case failed(any Error)
    }

    private let state = Mutex<State>(.idle(woken: false))

    func wake() {
        let continuation: CheckedContinuation<Void, any Error>? = state.withLock { state in
            switch state {
            case .idle:
                state = .idle(woken: true)
                return nil
            case .suspended(let continuation):
                state = .idle(woken: false)
                return continuation
            case .failed:
                return nil
            }
        }
        continuation?.resume()
    }

    func fail(_ error: any Error) {
        let continuation: CheckedContinuation<Void, any Error>? = state.withLock { state in
            switch state {
            case .failed:
                return nil
            case .idle:
                state = .failed(error)
                return nil
            case .suspended(let continuation):
                state = .failed(error)
                return continuation
            }
        }
        continuation?.resume(throwing: error)
    }

    /// Returns when woken; throws the failure (timeout, shutdown, cancellation).
    func suspend() async throws {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let outcome: Result<Bool, any Error> = state.withLock { state in
                    switch state {
                    case .idle(let woken):
                        if woken {
                            state = .idle(woken: false)
                            return .success(true)
                        }
                        state = .suspended(continuation)
                        return .success(false)
                    case .failed(let error):
                        return .failure(error)
                    case .suspended:
                        preconditionFailure("a Waiter is suspended by one task at a time")
                    }
                }
                switch outcome {
                case .success(true): continuation.resume()
                case .success(false): break
                case .failure(let error): continuation.resume(throwing: error)
                }
            }
        } onCancel: {
            fail(CancellationError())
        }
    }
}

/// The waits in progress, by key. The connection thread wakes keys; `shutdown` fails them all.
final class WaiterRegistry: Sendable {
    private struct State {
        var waiters: [WaitKey: [ObjectIdentifier: Waiter]] = [:]
        var closed: (any Error)?
    }

    private let state = Mutex(State())

    func add(_ waiter: Waiter, for key: WaitKey) {
        let closed: (any Error)? = state.withLock { state in
            if let error = state.closed { return error }
            state.waiters[key, default: [:]][ObjectIdentifier(waiter)] = waiter
            return nil
        }
        if let closed { waiter.fail(closed) }
    }

    func remove(_ waiter: Waiter, for key: WaitKey) {
        state.withLock { state in
            state.waiters[key]?[ObjectIdentifier(waiter)] = nil
            if state.waiters[key]?.isEmpty == true { state.waiters[key] = nil }
        }
    }

    /// Wakes every wait on these keys.
    func wake(_ keys: some Sequence<WaitKey>) {
        let woken: [Waiter] = state.withLock { state in
            var woken: [Waiter] = []
            for key in keys {
                if let waiters = state.waiters[key] { woken.append(contentsOf: waiters.values) }
            }
            return woken
        }
        for waiter in woken { waiter.wake() }
    }

    /// Ends every wait, now and later, with `error`.
    func close(with error: any Error) {
        let all: [Waiter] = state.withLock { state in
            state.closed = error
            let all = state.waiters.values.flatMap(\.values)
            state.waiters = [:]
            return all
        }
        for waiter in all { waiter.fail(error) }
    }

    /// Runs `check` until it gives a value, sleeping between tries until `key` is woken. Returns nil when
    /// `timeout` passes first (after one last check). Throws `check`'s errors, CancellationError, or the
    /// registry's closing error.
    func wait<T>(for key: WaitKey, timeout: Duration?, _ check: () async throws -> T?) async throws -> T? {
        if let value = try await check() { return value }
        if timeout == .zero { return nil }
        let waiter = Waiter()
        add(waiter, for: key)
        defer { remove(waiter, for: key) }
        let timer: Task<Void, Never>? = timeout.map { timeout in
            Task { [waiter] in
                try? await Task.sleep(for: timeout)
                if !Task.isCancelled { waiter.fail(WaitTimedOut()) }
            }
        }
        defer { timer?.cancel() }
        while true {
            if let value = try await check() { return value }
            do {
                try await waiter.suspend()
            } catch is WaitTimedOut {
                return try await check()
            }
        }
    }
}
