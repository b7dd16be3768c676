import Foundation
import Testing
import ZeroMQ

@Suite struct PollTests {
    @Test func pollReportsASocketWithAWaitingMessage() throws {
        let context = try ZMQContext()
        let a = try makeSocket(context, .pair)
        let b = try makeSocket(context, .pair)
        try a.bind("inproc://poll")
        try b.connect("inproc://poll")
        let items = [PollItem(socket: a, events: .readable)]

        #expect(try zmqPoll(items, timeoutMilliseconds: 0) == [[]])
        try b.send([bytes("ping")])
        #expect(try zmqPoll(items, timeoutMilliseconds: 1000) == [.readable])
        #expect(try a.canReceive)
        #expect(try a.receive()?.frames == [bytes("ping")])
        #expect(try zmqPoll(items, timeoutMilliseconds: 0) == [[]])

        // A connected PAIR can take a message, so it polls writable.
        #expect(
            try zmqPoll([PollItem(socket: a, events: [.readable, .writable])], timeoutMilliseconds: 0) == [.writable])
        #expect(try a.fileDescriptor >= 0)
    }

    @Test func pollReportsAnEventNotifierUntilDrained() throws {
        let notifier = try EventNotifier()
        let items = [PollItem(fileDescriptor: notifier.fileDescriptor, events: .readable)]
        #expect(try zmqPoll(items, timeoutMilliseconds: 0) == [[]])

        notifier.notify()
        notifier.notify()
        #expect(try zmqPoll(items, timeoutMilliseconds: 0) == [.readable])
        notifier.drain()
        #expect(try zmqPoll(items, timeoutMilliseconds: 0) == [[]])
        notifier.drain()  // nothing pending: must not block
    }

    /// One `PollSet` polled turn after turn, as the broker's loop does: each poll reports what is ready now.
    @Test func aPollSetReusedAcrossTurnsReportsEachTurnAfresh() throws {
        let context = try ZMQContext()
        let (a, b) = try connectedPair(context, "poll-set")
        let notifier = try EventNotifier()
        var set = PollSet([
            PollItem(socket: a, events: .readable),
            PollItem(fileDescriptor: notifier.fileDescriptor, events: .readable),
        ])
        try set.poll(timeoutMilliseconds: 0)
        #expect((set.revents(0), set.revents(1)) == ([], []))
        try b.send([bytes("ping")])
        notifier.notify()
        try set.poll(timeoutMilliseconds: 1_000)
        #expect((set.revents(0), set.revents(1)) == (.readable, .readable))
        _ = try a.receive()
        notifier.drain()
        try set.poll(timeoutMilliseconds: 0)
        #expect((set.revents(0), set.revents(1)) == ([], []))
        a.close()
        #expect(throws: ZMQError.self) { try set.poll(timeoutMilliseconds: 0) }
    }

    @Test func notifyFromAnotherThreadWakesABlockedPoll() throws {
        let context = try ZMQContext()
        let socket = try makeSocket(context, .pair)
        try socket.bind("inproc://quiet")
        let notifier = try EventNotifier()
        Thread { notifier.notify() }.start()
        let items = [
            PollItem(socket: socket, events: .readable),
            PollItem(fileDescriptor: notifier.fileDescriptor, events: .readable),
        ]
        #expect(try zmqPoll(items, timeoutMilliseconds: 2000) == [[], .readable])
    }

    @Test func pollingAClosedSocketThrows() throws {
        let context = try ZMQContext()
        let socket = try makeSocket(context, .pair)
        socket.close()
        #expect(throws: ZMQError.self) {
            try zmqPoll([PollItem(socket: socket, events: .readable)], timeoutMilliseconds: 0)
        }
    }
}
