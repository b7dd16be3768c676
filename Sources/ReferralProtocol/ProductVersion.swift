/// The version of referral-broker, one string for every part: `referrald --version`, `referralctl --version`, the
/// `version` of ADMIN-1 STATUS.
public enum ProductVersion {
    public static let string = "0.1.0"
}
