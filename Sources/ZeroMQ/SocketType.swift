import CZeroMQ

/// The socket patterns the broker and its nodes use (stable, non-draft types only).
public enum SocketType: Sendable {
    case router, dealer, rep, req, pair, pub, sub, push, pull

    var rawValue: Int32 {
        switch self {
        case .router: ZMQ_ROUTER
        case .dealer: ZMQ_DEALER
        case .rep: ZMQ_REP
        case .req: ZMQ_REQ
        case .pair: ZMQ_PAIR
        case .pub: ZMQ_PUB
        case .sub: ZMQ_SUB
        case .push: ZMQ_PUSH
        case .pull: ZMQ_PULL
        }
    }
}
