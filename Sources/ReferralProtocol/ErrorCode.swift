/// An error code of the one registry used by ERROR and REJECTED (1/RBP §9).
///
/// A struct rather than an enum: a receiver must accept codes a later version adds.
public struct ErrorCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: String

    public init(rawValue: String) { self.rawValue = rawValue }

    public var description: String { rawValue }

    /// Whether sending the same thing again, unchanged, can succeed (the `retry` of REJECTED).
    /// False for codes this version does not define.
    public var retryable: Bool {
        switch self {
        case .notConnected, .rateLimited, .storeFailed, .overloaded, .shuttingDown, .notActive: true
        default: false
        }
    }

    // Codec faults (1/RBP §8 steps 1-10).
    public static let badSignature = ErrorCode(rawValue: "BAD_SIGNATURE")
    public static let unsupportedVersion = ErrorCode(rawValue: "UNSUPPORTED_VERSION")
    public static let badFrames = ErrorCode(rawValue: "BAD_FRAMES")
    public static let unknownCommand = ErrorCode(rawValue: "UNKNOWN_COMMAND")
    public static let unexpectedCommand = ErrorCode(rawValue: "UNEXPECTED_COMMAND")
    public static let badHeader = ErrorCode(rawValue: "BAD_HEADER")
    public static let badField = ErrorCode(rawValue: "BAD_FIELD")
    public static let tooLarge = ErrorCode(rawValue: "TOO_LARGE")

    // Session and identity (ERROR).
    public static let notConnected = ErrorCode(rawValue: "NOT_CONNECTED")
    public static let unknownNode = ErrorCode(rawValue: "UNKNOWN_NODE")
    /// HELLO names a node other than the one registered for the connection's CURVE key (fatal).
    public static let identityMismatch = ErrorCode(rawValue: "IDENTITY_MISMATCH")
    /// The node's directory entry was suspended or removed (fatal); its key is refused from then on.
    public static let nodeSuspended = ErrorCode(rawValue: "NODE_SUSPENDED")
    public static let unknownDelivery = ErrorCode(rawValue: "UNKNOWN_DELIVERY")
    public static let unknownReceipt = ErrorCode(rawValue: "UNKNOWN_RECEIPT")

    // Recipients of a SEND (REJECTED, with `recipient` = the address as written).
    public static let unknownRecipient = ErrorCode(rawValue: "UNKNOWN_RECIPIENT")
    public static let recipientSuspended = ErrorCode(rawValue: "RECIPIENT_SUSPENDED")
    /// An address that passes the grammar but that the broker cannot interpret.
    public static let badAddress = ErrorCode(rawValue: "BAD_ADDRESS")
    public static let unknownAgency = ErrorCode(rawValue: "UNKNOWN_AGENCY")
    public static let unknownKind = ErrorCode(rawValue: "UNKNOWN_KIND")
    public static let unknownDivision = ErrorCode(rawValue: "UNKNOWN_DIVISION")
    public static let noMatchingNode = ErrorCode(rawValue: "NO_MATCHING_NODE")

    // The SEND as a whole (REJECTED).
    /// The authorization policy does not let the sender send this message kind.
    public static let forbidden = ErrorCode(rawValue: "FORBIDDEN")
    /// The sender exceeded its per-node SEND rate; retry after a backoff.
    public static let rateLimited = ErrorCode(rawValue: "RATE_LIMITED")
    public static let conflict = ErrorCode(rawValue: "CONFLICT")
    public static let storeFailed = ErrorCode(rawValue: "STORE_FAILED")
    public static let overloaded = ErrorCode(rawValue: "OVERLOADED")
    public static let shuttingDown = ErrorCode(rawValue: "SHUTTING_DOWN")

    // Case tracking (REJECTED, retry false; 1/RBP §7.3). The reason states the case's current status.
    /// The move is not allowed in the case's current status (e.g. `referral.accepted` after `completed`).
    public static let illegalTransition = ErrorCode(rawValue: "ILLEGAL_TRANSITION")
    /// The sender plays the wrong part for this move in the case (a referrer accepting, a service cancelling).
    public static let forbiddenMove = ErrorCode(rawValue: "FORBIDDEN_MOVE")
    /// A case-moving kind other than `referral.request` names a case the broker does not have.
    public static let unknownCase = ErrorCode(rawValue: "UNKNOWN_CASE")

    // Queries (ERROR with the QUERY's `ref`; 1/RBP §7.14, 1.6).
    /// No case of this id that the node may see: the same answer whether it does not exist or is another's.
    public static let notFound = ErrorCode(rawValue: "NOT_FOUND")

    // Several broker instances, one active (1/RBP §7.1, §11.4, 1.7).
    /// This instance is a standby, or has just stopped being the active one (always fatal): nothing was stored; the
    /// node tries its next broker endpoint. Retryable there, hence `retryable`, as NOT_CONNECTED is after HELLO.
    public static let notActive = ErrorCode(rawValue: "NOT_ACTIVE")

    /// Every code this version defines, in the order of 1/RBP §9.
    public static let allDefined: [ErrorCode] = [
        .badSignature, .unsupportedVersion, .badFrames, .unknownCommand, .unexpectedCommand, .badHeader,
        .badField, .tooLarge, .notConnected, .unknownNode, .identityMismatch, .nodeSuspended, .unknownDelivery,
        .unknownReceipt, .unknownRecipient, .recipientSuspended, .badAddress, .unknownAgency, .unknownKind,
        .unknownDivision, .noMatchingNode, .forbidden, .rateLimited, .conflict, .storeFailed, .overloaded,
        .shuttingDown, .illegalTransition, .forbiddenMove, .unknownCase, .notFound, .notActive,
    ]
}
