/// The size limits a decoder enforces (1/RBP §5, §7.2). The broker configures them and announces
/// them in WELCOME; a node decodes with the limits of its WELCOME (`Limits(welcome)`).
public struct Limits: Sendable, Hashable {
    /// Largest header frame, in octets.
    public var maxHeaderBytes: Int
    /// Largest body frame, in octets.
    public var maxBodyBytes: Int
    /// Most recipients (addresses) of one SEND, and most node ids in the `to` of a DELIVER; a longer
    /// `to` is TOO_LARGE.
    public var maxRecipients: Int
    /// Largest window a HELLO may ask for.
    public var maxWindow: Int

    public init(
        maxHeaderBytes: Int = 16384, maxBodyBytes: Int = 1_048_576, maxRecipients: Int = 64, maxWindow: Int = 1024
    ) {
        self.maxHeaderBytes = maxHeaderBytes
        self.maxBodyBytes = maxBodyBytes
        self.maxRecipients = maxRecipients
        self.maxWindow = maxWindow
    }

    /// The limits a node must accept after this WELCOME.
    public init(_ welcome: Welcome) {
        self.init(
            maxHeaderBytes: welcome.maxHeader, maxBodyBytes: welcome.maxBody,
            maxRecipients: welcome.maxRecipients, maxWindow: welcome.window)
    }

    public static let `default` = Limits()

    /// The window of a HELLO that asks for none.
    public static let defaultWindow = 64
    /// Largest nesting depth of a header; the top-level object has depth 1.
    public static let maxHeaderDepth = 4
    /// Every integer in RBP is at most 2^53 - 1.
    public static let maxSafeInteger: Int64 = 9_007_199_254_740_991
    /// Most characters in a `reason`.
    public static let maxReasonLength = 200
    /// Most characters in a HELLO `agent`.
    public static let maxAgentLength = 64
    /// Most characters in the `field` of ERROR and REJECTED.
    public static let maxFieldNameLength = 64
    /// Most members of a header object at the top level (unknown and null members included); more is
    /// TOO_LARGE (1/RBP §5.2).
    public static let maxHeaderMembers = 32
    /// Most characters in one recipient address (1/RBP §6).
    public static let maxAddressLength = 128
}
