import Foundation
import ReferralProtocol

extension DivisionTable {
    /// The Fujian table that ships inside the module (`Divisions/fujian/`, from the National
    /// Bureau of Statistics' 2023 codes; see the README there for source and licence), so
    /// that every installation has it. Parsed once per process.
    public static func fujian() throws(ConfigurationError) -> DivisionTable {
        try bundledFujian.get()
    }

    private static let bundledFujian: Result<DivisionTable, ConfigurationError> = {
        guard let folder = Bundle.module.url(forResource: "fujian", withExtension: nil, subdirectory: "Divisions")
        else {
            return .failure(
                ConfigurationError(file: "Divisions/fujian", reason: "missing from the AgencyDirectory resource bundle")
            )
        }
        do throws(ConfigurationError) {
            return .success(try DivisionTable(folder: folder))
        } catch {
            return .failure(error)
        }
    }()

    /// Loads a table from a folder holding the four CSV files of the bundled one, for another
    /// province (or several): `provinces.csv` (code, name), `cities.csv` (code, name,
    /// provinceCode), `areas.csv` (code, name, cityCode, …) and `townships.csv` (code, name,
    /// areaCode, …); extra columns are ignored. Codes are 2, 4, 6 and 9 digits. Every parent a
    /// row names must exist; any fault is an error naming file, line and column.
    public init(folder: URL) throws(ConfigurationError) {
        var divisions: [String: Division] = [:]
        var levels: [String: DivisionLevel] = [:]

        func add(_ code: String, _ division: Division, _ level: DivisionLevel, _ csv: CSVFile, _ line: Int)
            throws(ConfigurationError)
        {
            guard levels[code] == nil else { throw csv.error(line: line, column: "code", "\(code) is listed twice") }
            divisions[code] = division
            levels[code] = level
        }

        let provinces = try CSVFile(url: folder.appendingPathComponent("provinces.csv"))
        try Self.read(provinces, codeLength: 2, parentColumn: nil) { (code, name, _, line) throws(ConfigurationError) in
            try add(code + "0000", Division(name: name, parent: nil), .province, provinces, line)
        }
        let cities = try CSVFile(url: folder.appendingPathComponent("cities.csv"))
        try Self.read(cities, codeLength: 4, parentColumn: ("provinceCode", 2)) {
            (code, name, parent, line) throws(ConfigurationError) in
            let province = parent + "0000"
            guard levels[province] == .province else {
                throw cities.error(line: line, column: "provinceCode", "\(parent) is not a province of provinces.csv")
            }
            guard !code.hasSuffix("00") else {
                throw cities.error(line: line, column: "code", "\(code) is not a city code")
            }
            try add(code + "00", Division(name: name, parent: province), .city, cities, line)
        }
        let areas = try CSVFile(url: folder.appendingPathComponent("areas.csv"))
        try Self.read(areas, codeLength: 6, parentColumn: ("cityCode", 4)) {
            (code, name, parent, line) throws(ConfigurationError) in
            let city = parent + "00"
            guard levels[city] == .city else {
                throw areas.error(line: line, column: "cityCode", "\(parent) is not a city of cities.csv")
            }
            guard !code.hasSuffix("00") else {
                throw areas.error(line: line, column: "code", "\(code) is not a county code")
            }
            try add(code, Division(name: name, parent: city), .county, areas, line)
        }
        let townships = try CSVFile(url: folder.appendingPathComponent("townships.csv"))
        try Self.read(townships, codeLength: 9, parentColumn: ("areaCode", 6)) {
            (code, name, parent, line) throws(ConfigurationError) in
            guard levels[parent] == .county else {
                throw townships.error(line: line, column: "areaCode", "\(parent) is not a county of areas.csv")
            }
            try add(code, Division(name: name, parent: parent), .township, townships, line)
        }

        var byLevel: [DivisionLevel: [String]] = [:]
        for (code, level) in levels { byLevel[level, default: []].append(code) }
        for level in byLevel.keys { byLevel[level]?.sort() }
        self.divisions = divisions
        self.levels = levels
        self.codesByLevel = byLevel
    }

    /// Reads `code`, `name` and the parent column of every row, checking digit counts.
    private static func read(
        _ csv: CSVFile, codeLength: Int, parentColumn: (name: String, length: Int)?,
        _ body: (_ code: String, _ name: String, _ parent: String, _ line: Int) throws(ConfigurationError) -> Void
    ) throws(ConfigurationError) {
        let codeIndex = try csv.column("code")
        let nameIndex = try csv.column("name")
        let parentIndex = try parentColumn.map { (column) throws(ConfigurationError) in try csv.column(column.name) }
        for row in csv.rows {
            let code = row.fields[codeIndex]
            guard code.utf8.count == codeLength, Grammar.isDigits(code) else {
                throw csv.error(line: row.line, column: "code", "\"\(code)\" must be \(codeLength) digits")
            }
            let name = row.fields[nameIndex]
            guard !name.isEmpty else { throw csv.error(line: row.line, column: "name", "is empty") }
            var parent = ""
            if let parentColumn, let parentIndex {
                parent = row.fields[parentIndex]
                guard parent.utf8.count == parentColumn.length, Grammar.isDigits(parent) else {
                    throw csv.error(
                        line: row.line, column: parentColumn.name, "\"\(parent)\" must be \(parentColumn.length) digits"
                    )
                }
            }
            try body(code, name, parent, row.line)
        }
    }
}
