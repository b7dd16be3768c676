import Foundation
import ReferralProtocol
import Testing
import ZeroMQ

extension DaemonSuite {
    @Suite("referralctl and replies that are not ADMIN-1")
    struct AdminReplyTests {
        /// A reply that is not ADMIN-1 (another program at the admin endpoint, another broker version) is neither a
        /// usage error (1) nor "no answer" (2): referralctl exits 6 and names what was wrong, never the reply itself.
        @Test func aReplyThatIsNotAdmin1ExitsSix() async throws {
            try await withDaemon(start: false) { h in
                let marker = "made-up-reply-text"
                let replies: [(what: String, frames: [String])] = [
                    ("two frames", ["RBA\u{1}", "OK"]),
                    ("neither OK nor ERROR", ["RBA\u{1}", "MAYBE", "{}"]),
                    ("another signature", ["RBX\u{1}", "OK", "{}"]),
                    ("not JSON", ["RBA\u{1}", "OK", "{\"nodes\": \"\(marker)\""]),
                    ("a STATUS result of the wrong shape", ["RBA\u{1}", "OK", "{\"nodes\": \"\(marker)\"}"]),
                    ("an ERROR without a code", ["RBA\u{1}", "ERROR", "{\"reason\": \"\(marker)\"}"]),
                ]
                let endpoint = "ipc://\(h.directory)/not-admin.sock"
                let fake = try FakeAdminEndpoint(endpoint: endpoint, replies: replies.map { $0.frames })
                defer { fake.stop() }
                for (index, reply) in replies.enumerated() {
                    let json = index == replies.count - 1
                    let run = try await h.referralctl(["status", "--admin", endpoint] + (json ? ["--json"] : []))
                    h.expect(
                        run.status == 6 && run.stderr.contains("answered something that is not ADMIN-1")
                            && run.stdout.isEmpty && !run.stderr.contains(marker),
                        "\(reply.what): exit \(run.status), stdout \(run.stdout.count) octets, stderr \(run.stderr)")
                }
            }
        }
    }
}

/// A ROUTER at `endpoint` that answers each request it gets with the next of `replies` (frames as UTF-8), on a
/// thread of its own that creates and owns the socket, until the replies are used up or `stop()`.
private final class FakeAdminEndpoint: @unchecked Sendable {
    private let lock = NSLock()
    private var isStopped = false
    private var bindError: (any Error)?
    private let bound = DispatchSemaphore(value: 0)
    private let done = DispatchSemaphore(value: 0)

    init(endpoint: String, replies: [[String]]) throws {
        let thread = Thread { [self] in
            serve(endpoint: endpoint, replies: replies)
            done.signal()
        }
        thread.start()
        bound.wait()
        if let bindError = lock.withLock({ bindError }) {
            done.wait()
            throw bindError
        }
    }

    private func serve(endpoint: String, replies: [[String]]) {
        let router: ZMQSocket
        let context: ZMQContext
        do {
            context = try ZMQContext()
            router = try ZMQSocket(context: context, type: .router)
            try router.setLinger(milliseconds: 0)
            try router.bind(endpoint)
        } catch {
            lock.withLock { bindError = error }
            bound.signal()
            return
        }
        bound.signal()
        var rest = replies[...]
        while let reply = rest.first, !lock.withLock({ isStopped }) {
            guard (try? zmqPoll([PollItem(socket: router, events: .readable)], timeoutMilliseconds: 20)) != nil,
                let request = try? router.receive(), let identity = request.frames.first
            else { continue }
            _ = try? router.send([identity] + reply.map { Array($0.utf8) }, dontWait: false)
            rest = rest.dropFirst()
        }
        router.close()
        context.terminate()
    }

    func stop() {
        lock.withLock { isStopped = true }
        done.wait()
    }
}
