/// The agencies whose systems connect to the broker (see the brief's table of agencies).
///
/// A closed set, unlike node kinds: the authorization policy and the escalation rules are
/// written per agency, so a new agency is a change of this program, not of a file.
public enum Agency: String, Sendable, CaseIterable, Hashable, CustomStringConvertible {
    /// 教育: schools and education bureaus.
    case education
    /// 民政: child directors, township supervisors, child-welfare institutions, bureaus.
    case civilAffairs = "civil-affairs"
    /// 卫生健康: hospitals and clinics, health bureaus.
    case health
    /// 共青团: the 12355 youth hotline, youth social workers.
    case youthLeague = "youth-league"
    /// 妇联: family-education guidance stations, the 12338 hotline.
    case womensFederation = "womens-federation"
    /// 公安: police stations and public-security bureaus (crisis cases, mandatory reporting).
    case publicSecurity = "public-security"

    public var description: String { rawValue }

    /// The node kinds that act as this agency's supervising authority for escalation, from
    /// the lowest level up. A node's supervisor is the nearest active node of the agency with
    /// one of these kinds (see `Directory.supervisor(of:agency:)`).
    ///
    /// | agency | authority kinds |
    /// | --- | --- |
    /// | education | county-bureau, city-bureau, provincial-bureau |
    /// | civil-affairs | township-supervisor, county-bureau, city-bureau, provincial-bureau |
    /// | health | county-bureau, city-bureau, provincial-bureau |
    /// | youth-league | county-bureau, city-bureau, provincial-bureau |
    /// | womens-federation | county-bureau, city-bureau, provincial-bureau |
    /// | public-security | public-security-bureau, county-bureau, city-bureau, provincial-bureau |
    ///
    /// Civil affairs has one more level because the brief makes it the default escalation
    /// chain and the township child supervisor (儿童督导员) oversees the village child
    /// directors. A public-security bureau (公安局) is the police's county or city authority.
    public var authorityKinds: Set<String> {
        switch self {
        case .civilAffairs: ["township-supervisor", "county-bureau", "city-bureau", "provincial-bureau"]
        case .publicSecurity: ["public-security-bureau", "county-bureau", "city-bureau", "provincial-bureau"]
        case .education, .health, .youthLeague, .womensFederation:
            ["county-bureau", "city-bureau", "provincial-bureau"]
        }
    }
}

/// Whether a node is in service.
public enum NodeState: String, Sendable, CaseIterable, Hashable, CustomStringConvertible {
    /// Connects, sends, receives and is chosen by role routing.
    case active
    /// Kept in the directory (its history stays attributable) but refused at the handshake,
    /// cut off if connected, never chosen by role routing, and refused as a named recipient.
    case suspended

    public var description: String { rawValue }
}
