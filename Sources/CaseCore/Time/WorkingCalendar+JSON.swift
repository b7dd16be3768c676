import ReferralProtocol

extension WorkingCalendar {
    /// Reads the calendar's JSON (`{"holidays": [...], "workdays": [...]}`, both optional) with the strict
    /// reader; errors name the member (`holidays[3]`) in `file`.
    public init(json: [UInt8], file: String?) throws(ConfigurationError) {
        var root = try JSONObjectReader(try JSONFile.parse(json, file: file), file: file)
        let holidays = try root.optionalStrings("holidays") ?? []
        let workdays = try root.optionalStrings("workdays") ?? []
        try root.refuseUnknownKeys()
        do throws(ConfigurationError) {
            try self.init(holidays: holidays, workdays: workdays)
        } catch {
            throw error.found(in: file)
        }
    }
}
