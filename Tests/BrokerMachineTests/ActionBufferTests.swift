import BrokerCore
import ReferralProtocol
import StoreModel
import Testing

@testable import BrokerMachine

/// The shell's entry point, `handle(_:into:)`: it appends to a buffer the shell keeps, and decides exactly what
/// `handle(_:)` decides.
@Suite struct ActionBufferTests {
    /// A school and a clinic connect, the school sends a referral, time passes: the events of one message's path.
    private func events(now: Int64) -> [MachineEvent] {
        let (school, clinic): ([UInt8], [UInt8]) = ([0, 1], [0, 2])
        func arrival(_ command: Command, on routingId: [UInt8]) -> MachineEvent {
            .received(
                Arrival(routingId: routingId, userId: nil, peer: "127.0.0.1", command: .success(command)), now: now)
        }
        return [
            arrival(.hello(Hello(node: "gl-school-1")), on: school),
            arrival(.hello(Hello(node: "gl-child-psych")), on: clinic), arrival(.send(referral()), on: school),
            .tick(now: now + 1_000),
        ]
    }

    @Test func appendsAfterWhatTheBufferHoldsAndLeavesTheMachineNoActions() throws {
        var rig = try Rig()
        let school = rig.connection()
        var buffer: [MachineAction] = [.log(LogLine(.info, "already here"))]
        rig.machine.handle(
            .received(
                Arrival(
                    routingId: school, userId: nil, peer: "127.0.0.1",
                    command: .success(.hello(Hello(node: "gl-school-1")))), now: rig.now),
            into: &buffer)
        guard case .log(let first) = buffer.first else {
            Issue.record("the buffer's own first action is gone: \(buffer)")
            return
        }
        #expect(first.message == "already here")
        #expect(buffer.commands.count == 1)
        guard case .welcome = buffer.commands.first else {
            Issue.record("no WELCOME appended: \(buffer)")
            return
        }
        // Nothing of this event is left inside the machine for the next one.
        #expect(rig.machine.actions.isEmpty)
        buffer.removeAll(keepingCapacity: true)
        rig.machine.handle(.tick(now: rig.now), into: &buffer)
        #expect(buffer.commands.isEmpty)
    }

    @Test func decidesWhatHandleReturns() throws {
        var returning = try Rig()
        var appending = try Rig()
        var buffer: [MachineAction] = []
        var welcomes = 0
        var accepts = 0
        for event in events(now: returning.now) {
            let returned = returning.machine.handle(event)
            appending.machine.handle(event, into: &buffer)
            #expect(buffer.commands == returned.commands)
            #expect(buffer.requests.count == returned.requests.count)
            #expect(buffer.accepts.map(\.message.messageId) == returned.accepts.map(\.message.messageId))
            welcomes += buffer.commands.filter { if case .welcome = $0 { true } else { false } }.count
            accepts += buffer.accepts.count
            buffer.removeAll(keepingCapacity: true)
        }
        #expect(welcomes == 2)
        #expect(accepts == 1)
    }
}
