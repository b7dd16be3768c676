import Foundation
import ReferralProtocol

/// Where a broker's admin endpoint is, found the way `referrald` finds it, so that operators' commands work from
/// any directory: a relative `ipc://` path is resolved against the broker configuration file's folder, never
/// against the caller's working directory.
public enum AdminEndpoint {
    /// The admin endpoint of the broker configured by the JSON file at `path` (deploy/README.md):
    /// `admin_endpoint`, else `ipc://<data_directory>/admin.sock` (`data_directory` defaults to `data/broker`),
    /// relative paths resolved against the file's folder as `referrald` resolves them. Abstract `ipc://@name`
    /// and non-ipc endpoints are returned as they are. The file is read with the strict reader; only these two
    /// keys are looked at (the broker checks the others).
    public static func fromBrokerConfiguration(path: String) throws(ConfigurationError) -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigurationError(file: path, reason: "cannot be read (missing or no permission)")
        }
        var reader = try JSONObjectReader(try JSONFile.parse(data, file: path), file: path)
        let folder = absolute((path as NSString).deletingLastPathComponent, against: currentDirectory)
        if let endpoint = try reader.optionalString("admin_endpoint"), !endpoint.isEmpty {
            return resolved(endpoint, against: folder)
        }
        let dataDirectory = try reader.optionalString("data_directory") ?? "data/broker"
        return "ipc://" + absolute(dataDirectory, against: folder) + "/admin.sock"
    }

    /// The development setup's admin endpoint for a `referralctl` built in a checkout: the broker configuration
    /// `scripts/run` writes (`<checkout>/data/dev/referrald.json`), where `<checkout>` holds the `.build` folder
    /// that holds the executable. nil when the executable is not in a `.build` folder or there is no such file.
    public static func developmentDefault(executablePath: String) -> String? {
        var components = URL(fileURLWithPath: executablePath).standardizedFileURL.pathComponents
        guard let build = components.lastIndex(of: ".build") else { return nil }
        components.removeSubrange(build...)
        let checkout = NSString.path(withComponents: components)
        let configuration = (checkout as NSString).appendingPathComponent("data/dev/referrald.json")
        guard FileManager.default.fileExists(atPath: configuration) else { return nil }
        return try? fromBrokerConfiguration(path: configuration)
    }

    /// `endpoint` with a relative `ipc://` path made absolute against `folder`.
    public static func resolved(_ endpoint: String, against folder: String) -> String {
        guard endpoint.hasPrefix("ipc://") else { return endpoint }
        let path = String(endpoint.dropFirst("ipc://".count))
        if path.hasPrefix("@") || path.hasPrefix("/") { return endpoint }
        return "ipc://" + absolute(path, against: folder)
    }

    private static var currentDirectory: String { FileManager.default.currentDirectoryPath }

    private static func absolute(_ path: String, against folder: String) -> String {
        if path.hasPrefix("/") { return URL(fileURLWithPath: path).standardizedFileURL.path }
        let joined = ((folder.isEmpty ? "." : folder) as NSString).appendingPathComponent(path)
        let base = joined.hasPrefix("/") ? joined : (currentDirectory as NSString).appendingPathComponent(joined)
        return URL(fileURLWithPath: base).standardizedFileURL.path
    }
}
