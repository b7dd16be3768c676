import BrokerMachine
import Logging
import ReferralProtocol
import ZeroMQ

/// The shell's half of the admin endpoint (protocols/ADMIN-1.md): frames in and out through AdminCodec; what to
/// answer is the machine's (`BrokerMachine+Admin`).
extension PollLoop {
    func receiveAdmin(now: Int64) {
        for _ in 0..<64 {
            guard let message = try? admin.receive(dontWait: true) else { return }
            guard let (peer, frames) = AdminFrames.split(message.frames) else { continue }
            let shell = ShellFacts(
                startedAt: startedAt, endpoint: boundEndpoint, store: worker.statistics, storeStatus: storeStatus())
            let arrival = AdminArrival(request: AdminCodec.decodeRequest(frames), replyTo: peer, shell: shell)
            feed(.admin(arrival, now: now), now: now)
        }
    }

    /// The in-process requests (`BrokerQueries`), fed to the machine as admin arrivals with a ticket for a peer.
    func takeQueries(now: Int64) {
        let asked = queries.take()
        guard !asked.isEmpty else { return }
        let shell = ShellFacts(
            startedAt: startedAt, endpoint: boundEndpoint, store: worker.statistics, storeStatus: storeStatus())
        for (ticket, request) in asked {
            let arrival = AdminArrival(request: .success(request), replyTo: .inProcess(ticket: ticket), shell: shell)
            feed(.admin(arrival, now: now), now: now)
        }
    }

    func sendAdmin(_ response: AdminResponse, to peer: AdminPeer) {
        if let ticket = peer.inProcess { return queries.answer(ticket, response) }
        do {
            _ = try admin.send(AdminFrames.reply(response, to: peer), dontWait: true)
        } catch {
            logger.debug("admin reply not sent", metadata: ["error": "\(error)"])
        }
    }

    /// Reload (SIGHUP, or an admin RELOAD the machine passed on): reads the files and hands them (or why they
    /// could not be read) to the machine.
    func reload(now: Int64, replyTo: AdminPeer?) {
        let loaded = StartupFiles.reloadable(configuration, divisions: divisions)
        feed(.reload(loaded, replyTo: replyTo, now: now), now: now)
    }
}
