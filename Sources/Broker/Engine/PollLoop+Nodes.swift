import BrokerMachine
import BrokerStore
import Logging
import ReferralProtocol
import ZeroMQ

/// The shell's half of every event: read and decode, feed the machine, carry out its actions.
extension PollLoop {
    /// Reads what the nodes sent, a bounded number per turn so timers and the store's completions are never
    /// starved.
    func receiveFromNodes(now: Int64) {
        for _ in 0..<2_048 {
            let received: (routingId: [UInt8], message: Message)?
            do {
                // The routing id, then at most `framesKept` frames: one message costs a bounded copy.
                received = try router.receiveRouted(dontWait: true, keepingAtMost: Self.framesKept)
            } catch {
                logger.error("receive failed", metadata: ["error": "\(error)"])
                return
            }
            guard let (routingId, message) = received else { return }
            let command = Codec.decode(message.frames, direction: .nodeToBroker, limits: codecLimits)
            let arrival = Arrival(
                routingId: routingId, userId: message.userId, peer: message.peerAddress, command: command)
            feed(.received(arrival, now: now), now: now)
        }
    }

    /// What the store thread finished.
    func takeCompletions(now: Int64) {
        let completions = worker.takeCompletions()
        if !completions.isEmpty { feed(.stored(completions, now: now), now: now) }
    }

    /// The machine decides `event`; its actions are carried out at once. The actions go into a buffer kept from
    /// earlier events, not a new array per event; a DELIVER's outcome is fed back while its own event's actions
    /// are still being carried out, so a second buffer may be in use.
    func feed(_ event: MachineEvent, now: Int64) {
        var actions = spareActionBuffers.popLast() ?? []
        machine.handle(event, into: &actions)
        perform(actions, now: now)
        actions.removeAll(keepingCapacity: true)
        // A burst's large buffer is not kept: after a drain its memory goes back (docs/DESIGN.md, memory).
        if actions.capacity <= Self.actionBufferCapacityKept { spareActionBuffers.append(actions) }
    }

    /// Carries out the machine's actions, in order.
    func perform(_ actions: [MachineAction], now: Int64) {
        for action in actions {
            switch action {
            case .send(let command, let routingId):
                _ = send(command, to: routingId)
            case .deliver(let deliver, let node, let routingId):
                let outcome = send(.deliver(deliver), to: routingId)
                feed(.delivery(node: node, deliver, outcome, now: now), now: now)
            case .store(let request):
                storeRequests.append(request)
            case .log(let event):
                log(event)
            case .reply(let response, let peer):
                sendAdmin(response, to: peer)
            case .readReloadFiles(let peer):
                reload(now: now, replyTo: peer)
            }
        }
    }

    /// One DONTWAIT send to a node. `busy`: the peer is at its high-water mark; `gone`: the routing id is not
    /// connected (ROUTER_MANDATORY). Neither loses anything durable.
    func send(_ command: Command, to routingId: [UInt8]) -> DeliveryOutcome {
        do {
            return try router.send(routedTo: routingId, Codec.encode(command), dontWait: true) ? .sent : .busy
        } catch let error as ZMQError where error.isHostUnreachable {
            return .gone
        } catch {
            logger.error("send failed", metadata: ["error": "\(error)", "command": "\(command.name)"])
            return .gone
        }
    }

    private func log(_ event: LogLine) {
        let level: Logger.Level =
            switch event.level {
            case .debug: .debug
            case .info: .info
            case .notice: .notice
            case .warning: .warning
            case .error: .error
            case .critical: .critical
            }
        logger.log(level: level, "\(event.message)", metadata: event.metadata.mapValues { .string($0) })
    }
}
