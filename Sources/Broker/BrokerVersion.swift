import ReferralProtocol

/// The daemon's version: the product's (`ProductVersion`), as STATUS reports it and `referrald --version` prints it.
public enum BrokerVersion {
    public static let string = ProductVersion.string
}
