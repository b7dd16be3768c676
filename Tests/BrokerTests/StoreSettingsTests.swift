import BrokerStorePostgres
import Foundation
import ReferralProtocol
import Testing

@testable import Broker

/// `instance` and `store` in referrald.json (docs/POSTGRES-PLAN.md §8): SQLite unless the file names PostgreSQL;
/// every refusal names its field; the password never comes from the file and is never printed.
@Suite struct StoreSettingsTests {
    let folder: String

    init() throws {
        folder = NSTemporaryDirectory() + "store-settings-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    }

    /// A configuration with `members` (JSON members, comma separated) besides a CURVE key file.
    func load(_ members: String) throws -> BrokerConfiguration {
        let path = folder + "/referrald.json"
        let text = #"{"curve": {"secret_key_file": "k"}"# + (members.isEmpty ? "" : ", " + members) + "}"
        _ = FileManager.default.createFile(atPath: path, contents: Data(text.utf8))
        let configuration = try BrokerConfiguration.load(file: path)
        try configuration.validate(source: path)
        return configuration
    }

    /// The error of a configuration with a `store` object of `postgresql` members (and `extra` store members).
    func refusal(_ postgresql: String, extra: String = "") -> ConfigurationError? {
        do {
            _ = try load(#""store": {"backend": "postgresql", "postgresql": {\#(postgresql)}\#(extra)}"#)
            return nil
        } catch let error as ConfigurationError {
            return error
        } catch {
            Issue.record("not a ConfigurationError: \(error)")
            return nil
        }
    }

    /// The field a refusal names (the key path, or the setting for file checks).
    func field(_ postgresql: String, extra: String = "") -> String? {
        refusal(postgresql, extra: extra).map { $0.field ?? $0.setting ?? "" }
    }

    static let loopback = #""hosts": ["127.0.0.1:55432"], "tls": "disable""#

    @Test func withoutStoreTheBackendIsSQLiteInTheDataDirectory() throws {
        let configuration = try load(#""data_directory": "d""#)
        #expect(configuration.store.backend == .sqlite)
        #expect(configuration.storePath == folder + "/d/broker.sqlite")
        #expect(try load(#""store": {"backend": "sqlite"}"#).store.backend == .sqlite)
        #expect(try load(#""store": {}"#).store.backend == .sqlite)
    }

    @Test func thePlansExampleLoadsWithItsDefaults() throws {
        let configuration = try load(
            #"""
            "instance": "broker-a",
            "store": {
              "backend": "postgresql",
              "postgresql": {"hosts": ["db1:5432", "db2"], "database": "referral", "user": "referral",
                             "password_file": "pg-password", "tls": "verify-full", "ca_file": "/etc/referrald/pg-ca.pem",
                             "synchronous_commit": "remote_apply", "connect_timeout_ms": 2000},
              "lease": {"ttl_ms": 3000, "renew_ms": 1000, "standby_poll_ms": 500}
            }
            """#)
        #expect(configuration.instance == "broker-a")
        guard case .postgresql(let database, let lease) = configuration.store.backend else {
            Issue.record("not postgresql: \(configuration.store)")
            return
        }
        #expect(database.hosts == [PostgreSQLHost(host: "db1"), PostgreSQLHost(host: "db2", port: 5_432)])
        #expect(database.passwordFile == folder + "/pg-password")
        #expect(database.caFile == "/etc/referrald/pg-ca.pem")
        #expect(database.tls == .verifyFull && database.synchronousCommit == .remoteApply)
        #expect(lease == LeaseSettings())
        // Left out: the defaults.
        let minimal = try load(#""store": {"backend": "postgresql", "postgresql": {\#(Self.loopback)}}"#)
        guard case .postgresql(let defaults, let defaultLease) = minimal.store.backend else { return }
        #expect(defaults.database == "referral" && defaults.user == "referral" && defaults.passwordFile.isEmpty)
        #expect(defaults.synchronousCommit == .on && defaults.connectTimeoutMs == 2_000)
        #expect(defaultLease.ttlMs == 3_000 && defaultLease.renewMs == 1_000 && defaultLease.standbyPollMs == 500)
    }

    @Test func hostsParse() {
        let good: [(String, String, Int)] = [
            ("db1:5432", "db1", 5_432), ("db1", "db1", 5_432), ("10.0.0.5:6432", "10.0.0.5", 6_432),
            ("[fd00::5]:5433", "fd00::5", 5_433), ("[::1]", "::1", 5_432),
            ("db-1.example.org:1", "db-1.example.org", 1),
        ]
        for (text, host, port) in good {
            #expect(PostgreSQLHost(parsing: text) == PostgreSQLHost(host: host, port: port), "\(text)")
        }
        for bad in [
            "", ":5432", "db1:", "db1:0", "db1:65536", "db1:x", "::1", "fd00::5:5432", "[::1]5432", "[db1]:5432",
            "db 1:5432", "db1:5432:1", "[::1]:+5",
        ] {
            #expect(PostgreSQLHost(parsing: bad) == nil, "\(bad)")
        }
        #expect(PostgreSQLHost(host: "fd00::5").description == "[fd00::5]:5432")
    }

    @Test func everyRefusalNamesItsField() {
        let tlsOK = #""tls": "require""#
        let cases: [(String, String)] = [
            (#""hosts": []"#, "store.postgresql.hosts"),
            (#""tls": "require""#, "store.postgresql.hosts"),
            (#""hosts": ["a","b","c","d","e","f","g","h","i"], \#(tlsOK)"#, "store.postgresql.hosts"),
            (#""hosts": ["db1:5432", "db2 :5432"], \#(tlsOK)"#, "store.postgresql.hosts[1]"),
            (#""hosts": ["db1", "db1:5432"], \#(tlsOK)"#, "store.postgresql.hosts[1]"),
            (#""hosts": "db1", \#(tlsOK)"#, "store.postgresql.hosts"),
            (#""hosts": ["db1"]"#, "store.postgresql.ca_file"),
            (#""hosts": ["db1"], "tls": "verify-ca""#, "store.postgresql.tls"),
            (#""hosts": ["db1"], "tls": "disable""#, "store.postgresql.tls"),
            (#""hosts": ["127.0.0.1", "db1"], "tls": "disable""#, "store.postgresql.tls"),
            (#""hosts": ["db1"], "tls": "require", "ca_file": "/ca.pem""#, "store.postgresql.ca_file"),
            (#"\#(Self.loopback), "synchronous_commit": "off""#, "store.postgresql.synchronous_commit"),
            (#"\#(Self.loopback), "synchronous_commit": "local""#, "store.postgresql.synchronous_commit"),
            (#"\#(Self.loopback), "synchronous_commit": "remote_write""#, "store.postgresql.synchronous_commit"),
            (#"\#(Self.loopback), "database": """#, "store.postgresql.database"),
            (#"\#(Self.loopback), "user": "\#(String(repeating: "u", count: 64))""#, "store.postgresql.user"),
            (#"\#(Self.loopback), "connect_timeout_ms": 10"#, "store.postgresql.connect_timeout_ms"),
            (#"\#(Self.loopback), "connect_timeout_ms": "2s""#, "store.postgresql.connect_timeout_ms"),
            (#"\#(Self.loopback), "sslmode": "disable""#, "store.postgresql.sslmode"),
            (#"\#(Self.loopback), "password": "hunter2-made-up""#, "store.postgresql.password"),
        ]
        for (members, expected) in cases {
            #expect(field(members) == expected, "\(members)")
        }
    }

    @Test func leaseRefusalsNameTheirField() {
        let cases: [(String, String)] = [
            (#""ttl_ms": 500"#, "store.lease.ttl_ms"),
            (#""ttl_ms": 3000, "renew_ms": 1500"#, "store.lease.renew_ms"),
            (#""renew_ms": 50"#, "store.lease.renew_ms"),
            (#""standby_poll_ms": 3000"#, "store.lease.standby_poll_ms"),
            (#""standby_poll_ms": 10"#, "store.lease.standby_poll_ms"),
            (#""ttl": 3000"#, "store.lease.ttl"),
        ]
        for (members, expected) in cases {
            #expect(field(Self.loopback, extra: #", "lease": {\#(members)}"#) == expected, "\(members)")
        }
        #expect(field(Self.loopback, extra: #", "lease": {"ttl_ms": 10000, "renew_ms": 4999}"#) == nil)
    }

    @Test func theBackendAndItsMembersMustAgree() throws {
        func storeField(_ store: String) -> String? {
            do {
                _ = try load(#""store": \#(store)"#)
                return nil
            } catch {
                return (error as? ConfigurationError)?.field
            }
        }
        #expect(storeField(#"{"backend": "mysql"}"#) == "store.backend")
        #expect(storeField(#"{"backend": "postgresql"}"#) == "store.postgresql")
        #expect(storeField(#"{"postgresql": {"hosts": ["db1"]}}"#) == "store.postgresql")
        #expect(storeField(#"{"backend": "sqlite", "lease": {}}"#) == "store.lease")
        #expect(storeField(#"{"backend": "sqlite", "path": "x"}"#) == "store.path")
        #expect(storeField(#""postgresql""#) == "store")
    }

    /// A `password` member is refused with the way to give it, and its value is in no message.
    @Test func aPasswordInTheFileIsRefusedWithoutQuotingIt() throws {
        let error = try #require(refusal(#"\#(Self.loopback), "password": "hunter2-made-up""#))
        #expect(!error.description.contains("hunter2"))
        #expect(error.description.contains("password_file") && error.description.contains("REFERRALD_PG_PASSWORD"))
    }

    @Test func theInstanceDefaultsToTheHostNameAndIsChecked() throws {
        let name = try load("").instance
        #expect((1...64).contains(name.count) && name.allSatisfy(BrokerConfiguration.isInstanceCharacter))
        var buffer = [CChar](repeating: 0, count: 256)
        gethostname(&buffer, 255)
        let host = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        if host.count <= 64 && host.allSatisfy(BrokerConfiguration.isInstanceCharacter) { #expect(name == host) }
        #expect(try load(#""instance": "broker-a.fj_1""#).instance == "broker-a.fj_1")
        for bad in ["", "broker a", "broker/a", String(repeating: "b", count: 65), "bröker"] {
            #expect(throws: ConfigurationError.self, "\(bad)") { try load(#""instance": "\#(bad)""#) }
        }
        let error = try #require(throws: ConfigurationError.self) { try load(#""instance": "a b""#) }
        #expect(error.field == "instance")
    }

    // MARK: - The password

    func settings(passwordFile: String = "") -> PostgreSQLSettings {
        var settings = PostgreSQLSettings(hosts: [PostgreSQLHost(host: "127.0.0.1")])
        settings.passwordFile = passwordFile
        return settings
    }

    func writeSecret(_ text: String, mode: mode_t) throws -> String {
        let path = folder + "/pg-password-\(UUID().uuidString.prefix(6))"
        _ = FileManager.default.createFile(atPath: path, contents: Data(text.utf8))
        #expect(chmod(path, mode) == 0)
        return path
    }

    @Test func thePasswordComesFromAPrivateFileElseTheEnvironment() throws {
        let environment = ["REFERRALD_PG_PASSWORD": "from-env-made-up"]
        #expect(try settings().password(environment: [:]) == nil)
        #expect(try settings().password(environment: environment)?.text == "from-env-made-up")
        for mode: mode_t in [0o600, 0o400] {
            let path = try writeSecret("made up pass\n", mode: mode)
            // The file wins over the environment; spaces inside are the password's own.
            #expect(try settings(passwordFile: path).password(environment: environment)?.text == "made up pass")
        }
        #expect(
            try settings(passwordFile: try writeSecret("crlf-made-up\r\nnext", mode: 0o600))
                .password(environment: [:])?.text == "crlf-made-up")
    }

    @Test func aPasswordFileOthersCanReachIsRefusedNamingTheSetting() throws {
        for mode: mode_t in [0o640, 0o604, 0o660, 0o644, 0o620] {
            let path = try writeSecret("secret-made-up\n", mode: mode)
            let error = try #require(throws: ConfigurationError.self) {
                try settings(passwordFile: path).password(environment: [:])
            }
            #expect(error.setting == "store.postgresql.password_file")
            #expect(error.reason.contains("chmod 600 \(path)"), "\(error)")
            #expect(!error.description.contains("secret-made-up"))
        }
        let missing = try #require(throws: ConfigurationError.self) {
            try settings(passwordFile: folder + "/none").password(environment: [:])
        }
        #expect(missing.setting == "store.postgresql.password_file" && missing.reason.contains(folder + "/none"))
        let empty = try #require(throws: ConfigurationError.self) {
            try settings(passwordFile: try writeSecret("\n", mode: 0o600)).password(environment: [:])
        }
        #expect(empty.reason.contains("no password"))
        let folderError = try #require(throws: ConfigurationError.self) {
            try settings(passwordFile: folder).password(environment: [:])
        }
        #expect(folderError.reason.contains("not a regular file"))
    }

    @Test func thePasswordIsNeverPrinted() throws {
        let password = PostgreSQLPassword("never-printed-made-up")
        var dumped = ""
        dump(password, to: &dumped)
        for text in [
            "\(password)", String(describing: password), String(reflecting: password), dumped, "\([password])",
        ] {
            #expect(!text.contains("never-printed"), "\(text)")
        }
    }

    /// print-config: the store's members, defaults included, and the result loads back unchanged.
    @Test func theEffectiveConfigurationPrintsTheStoreAndLoadsBack() throws {
        let original = try load(
            #""instance": "broker-b", "store": {"backend": "postgresql", "postgresql": {"hosts": ["[::1]", "127.0.0.1:6"], "tls": "disable", "password_file": "/etc/referrald/pg-password"}, "lease": {"ttl_ms": 5000}}"#
        )
        let printed = PrettyJSON.text(original.effectiveJSON)
        #expect(printed.contains(#""hosts": ["#) && printed.contains(#""[::1]:5432""#))
        #expect(printed.contains(#""password_file": "/etc/referrald/pg-password""#))
        #expect(printed.contains(#""synchronous_commit": "on""#) && printed.contains(#""ttl_ms": 5000"#))
        let path = folder + "/printed.json"
        try printed.write(toFile: path, atomically: true, encoding: .utf8)
        var loaded = try BrokerConfiguration.load(file: path)
        loaded.adminEndpoint = original.adminEndpoint  // printed resolved (PrintConfigTests)
        #expect(loaded == original, "\(printed)")
        #expect(loaded.store == original.store && loaded.instance == "broker-b")
        let sqlite = PrettyJSON.text(try load("").effectiveJSON)
        #expect(sqlite.contains(#""backend": "sqlite""#) && !sqlite.contains("lease"))
    }

    /// The one place that opens stores hands the PostgreSQL store its options: hosts in order, TLS, commit level,
    /// the session's name; the password only to the connection, never in what the options print.
    @Test func theOpenerGivesThePostgreSQLStoreItsOptions() throws {
        var configuration = try load("")
        configuration.instance = "broker-b"
        var database = settings()
        database.tls = .disable
        database.synchronousCommit = .remoteApply
        let options = database.storeOptions(password: PostgreSQLPassword("made-up"), instance: configuration.instance)
        #expect(options.hosts.map(\.description) == database.hosts.map(\.description))
        #expect(options.tls == .disable && options.synchronousCommit == "remote_apply")
        #expect(options.applicationName == "referrald:broker-b" && options.password == "made-up")
        #expect(!"\(options)".contains("made-up") && !String(reflecting: options).contains("made-up"))
        configuration.store = StoreSettings(backend: .postgresql(database, LeaseSettings()))
        _ = try StoreOpener.forBackend(of: configuration, password: PostgreSQLPassword("made-up"))
    }
}
