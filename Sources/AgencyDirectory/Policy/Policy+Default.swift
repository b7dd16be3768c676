extension Policy {
    /// The brief's policy, used when the configuration names no policy file.
    ///
    /// | rule | kinds | from |
    /// | --- | --- | --- |
    /// | broker-only | escalation.notice | nobody: only the broker sends it |
    /// | crisis | crisis.alert | anyone (mandatory reporting is everyone's duty) |
    /// | referral-request | referral.request | education, civil-affairs, youth-league, womens-federation, health (hospitals refer onward) |
    /// | referral-cancel | referral.cancelled | the same referrer agencies |
    /// | referral-progress | referral.received, .accepted, .declined, .appointment, .no-show, .interim, .completed | health (only the service moves a referral forward) |
    /// | discharge | discharge.notice | health |
    /// | followup-visit | followup.visit | education, civil-affairs, youth-league, womens-federation, health |
    /// | followup-closed | followup.closed | anyone (the plan owner may be any agency) |
    /// | crisis-ack | crisis.acknowledged | anyone (each party acknowledges the alert it received) |
    ///
    /// Any other kind is denied.
    public static let `default`: Policy = {
        let referrers = ["education", "civil-affairs", "youth-league", "womens-federation", "health"]
        let rules = [
            Rule(name: "broker-only", kinds: ["escalation.notice"], from: []),
            Rule(name: "crisis", kinds: ["crisis.alert"], from: ["*"]),
            Rule(name: "referral-request", kinds: ["referral.request"], from: referrers),
            Rule(name: "referral-cancel", kinds: ["referral.cancelled"], from: referrers),
            Rule(
                name: "referral-progress",
                kinds: [
                    "referral.received", "referral.accepted", "referral.declined", "referral.appointment",
                    "referral.no-show", "referral.interim", "referral.completed",
                ],
                from: ["health"]),
            Rule(name: "discharge", kinds: ["discharge.notice"], from: ["health"]),
            Rule(name: "followup-visit", kinds: ["followup.visit"], from: referrers),
            Rule(name: "followup-closed", kinds: ["followup.closed"], from: ["*"]),
            Rule(name: "crisis-ack", kinds: ["crisis.acknowledged"], from: ["*"]),
        ]
        do {
            return try Policy(rules: rules)
        } catch {
            fatalError("the built-in policy is invalid: \(error)")  // a programming error; tests cover it
        }
    }()
}
