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
        case .notConnected, .storeFailed, .overloaded, .shuttingDown: true
        default: false
        }
    }

    public static let badSignature = ErrorCode(rawValue: "BAD_SIGNATURE")
    public static let unsupportedVersion = ErrorCode(rawValue: "UNSUPPORTED_VERSION")
    public static let badFrames = ErrorCode(rawValue: "BAD_FRAMES")
    public static let unknownCommand = ErrorCode(rawValue: "UNKNOWN_COMMAND")
    public static let unexpectedCommand = ErrorCode(rawValue: "UNEXPECTED_COMMAND")
    public static let badHeader = ErrorCode(rawValue: "BAD_HEADER")
    public static let badField = ErrorCode(rawValue: "BAD_FIELD")
    public static let tooLarge = ErrorCode(rawValue: "TOO_LARGE")
    public static let notConnected = ErrorCode(rawValue: "NOT_CONNECTED")
    public static let unknownNode = ErrorCode(rawValue: "UNKNOWN_NODE")
    public static let unknownDelivery = ErrorCode(rawValue: "UNKNOWN_DELIVERY")
    public static let unknownReceipt = ErrorCode(rawValue: "UNKNOWN_RECEIPT")
    public static let unknownRecipient = ErrorCode(rawValue: "UNKNOWN_RECIPIENT")
    public static let conflict = ErrorCode(rawValue: "CONFLICT")
    public static let storeFailed = ErrorCode(rawValue: "STORE_FAILED")
    public static let overloaded = ErrorCode(rawValue: "OVERLOADED")
    public static let shuttingDown = ErrorCode(rawValue: "SHUTTING_DOWN")

    /// Every code this version defines, in the order of 1/RBP §9.
    public static let allDefined: [ErrorCode] = [
        .badSignature, .unsupportedVersion, .badFrames, .unknownCommand, .unexpectedCommand, .badHeader,
        .badField, .tooLarge, .notConnected, .unknownNode, .unknownDelivery, .unknownReceipt,
        .unknownRecipient, .conflict, .storeFailed, .overloaded, .shuttingDown,
    ]
}
