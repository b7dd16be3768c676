import Foundation

/// Where a broker's admin endpoint is, found the way `referrald` finds it, so that operators' commands work from
/// any directory: a relative `ipc://` path is resolved against the broker configuration file's folder, never
/// against the caller's working directory.
public enum AdminEndpoint {
    /// Why no admin endpoint could be read from a broker configuration file.
    public struct Failure: Error, CustomStringConvertible, Sendable {
        public var path: String
        public var problem: String
        public var description: String { "broker configuration \(path): \(problem)" }
    }

    /// The admin endpoint of the broker configured by the JSON file at `path` (deploy/README.md):
    /// `admin_endpoint`, else `ipc://<data_directory>/admin.sock` (`data_directory` defaults to `data/broker`),
    /// relative paths resolved against the file's folder as `referrald` resolves them. Abstract `ipc://@name`
    /// and non-ipc endpoints are returned as they are.
    public static func fromBrokerConfiguration(path: String) throws(Failure) -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw Failure(path: path, problem: "cannot be read (missing or no permission)")
        }
        guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw Failure(path: path, problem: "is not a JSON object")
        }
        let folder = absolute((path as NSString).deletingLastPathComponent, against: currentDirectory)
        if let value = object["admin_endpoint"], !(value is NSNull) {
            guard let endpoint = value as? String else {
                throw Failure(path: path, problem: "admin_endpoint must be a string")
            }
            if !endpoint.isEmpty { return resolved(endpoint, against: folder) }
        }
        var dataDirectory = "data/broker"
        if let value = object["data_directory"], !(value is NSNull) {
            guard let text = value as? String else {
                throw Failure(path: path, problem: "data_directory must be a string")
            }
            dataDirectory = text
        }
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
