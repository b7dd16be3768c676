/// One RBP message, decoded (1/RBP §5.3).
public enum Command: Sendable, Hashable {
    case hello(Hello)
    case welcome(Welcome)
    case send(Send)
    case accepted(Accepted)
    case rejected(Rejected)
    case deliver(Deliver)
    case ack(Ack)
    case nack(Nack)
    case receipt(Receipt)
    case receiptAck(ReceiptAck)
    case ping
    case pong
    case bye
    case error(ErrorReply)
    /// 1.6: a node's read-only question, answered by ANSWER or an ERROR carrying its `ref`.
    case query(Query)
    case answer(Answer)

    /// The wire name (frame 2).
    public var name: String { kind.name }

    /// HELLO, SEND, ACK, NACK, RECEIPT-ACK, QUERY, PING, PONG, BYE.
    public var isNodeToBroker: Bool { kind.isNodeToBroker }

    /// WELCOME, ACCEPTED, REJECTED, DELIVER, RECEIPT, ANSWER, ERROR, PING, PONG, BYE.
    public var isBrokerToNode: Bool { kind.isBrokerToNode }

    var kind: CommandKind {
        switch self {
        case .hello: .hello
        case .welcome: .welcome
        case .send: .send
        case .accepted: .accepted
        case .rejected: .rejected
        case .deliver: .deliver
        case .ack: .ack
        case .nack: .nack
        case .receipt: .receipt
        case .receiptAck: .receiptAck
        case .ping: .ping
        case .pong: .pong
        case .bye: .bye
        case .error: .error
        case .query: .query
        case .answer: .answer
        }
    }
}

/// Who sends a message; decoding checks that the command travels that way.
public enum Direction: Sendable, Hashable {
    case nodeToBroker
    case brokerToNode
}

/// The 16 commands without their headers: wire names and directions.
enum CommandKind: Int, CaseIterable {
    case hello, welcome, send, accepted, rejected, deliver, ack, nack, receipt, receiptAck, ping, pong, bye, error
    case query, answer

    var name: String {
        switch self {
        case .hello: "HELLO"
        case .welcome: "WELCOME"
        case .send: "SEND"
        case .accepted: "ACCEPTED"
        case .rejected: "REJECTED"
        case .deliver: "DELIVER"
        case .ack: "ACK"
        case .nack: "NACK"
        case .receipt: "RECEIPT"
        case .receiptAck: "RECEIPT-ACK"
        case .ping: "PING"
        case .pong: "PONG"
        case .bye: "BYE"
        case .error: "ERROR"
        case .query: "QUERY"
        case .answer: "ANSWER"
        }
    }

    /// The wire name as octets; static storage, so frames share it without copying.
    var nameBytes: [UInt8] { Self.nameBytes[rawValue] }

    var isNodeToBroker: Bool {
        switch self {
        case .hello, .send, .ack, .nack, .receiptAck, .query, .ping, .pong, .bye: true
        case .welcome, .accepted, .rejected, .deliver, .receipt, .error, .answer: false
        }
    }

    var isBrokerToNode: Bool {
        switch self {
        case .welcome, .accepted, .rejected, .deliver, .receipt, .error, .answer, .ping, .pong, .bye: true
        case .hello, .send, .ack, .nack, .receiptAck, .query: false
        }
    }

    func travels(_ direction: Direction) -> Bool {
        switch direction {
        case .nodeToBroker: isNodeToBroker
        case .brokerToNode: isBrokerToNode
        }
    }

    /// SEND and DELIVER may carry a body frame.
    var hasBody: Bool { self == .send || self == .deliver }

    /// The command whose wire name is `bytes`, or nil.
    init?(bytes: [UInt8]) {
        // Array equality compares the counts first, so most candidates cost one comparison.
        for kind in Self.allCases where Self.nameBytes[kind.rawValue] == bytes {
            self = kind
            return
        }
        return nil
    }

    private static let nameBytes: [[UInt8]] = allCases.map { Array($0.name.utf8) }
}
