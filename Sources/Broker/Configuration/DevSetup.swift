import Foundation

/// Writes the embedded development setup: a broker configuration and one client
/// configuration per demo node. All names are made up.
public enum DevSetup {
    public static let demoNodes: [NodeEntry] = [
        NodeEntry(id: "demo-school", agency: "education", name: "Demo Primary School (made-up)"),
        NodeEntry(id: "demo-county-education", agency: "education", name: "Demo County Education Bureau (made-up)"),
        NodeEntry(id: "demo-hospital", agency: "health", name: "Demo County Hospital, child psychology clinic (made-up)"),
        NodeEntry(id: "demo-village-director", agency: "civil-affairs", name: "Demo Village Child Director (made-up)"),
        NodeEntry(id: "demo-township-supervisor", agency: "civil-affairs", name: "Demo Township Child Supervisor (made-up)"),
        NodeEntry(id: "demo-county-civil-affairs", agency: "civil-affairs", name: "Demo County Civil Affairs Bureau (made-up)"),
        NodeEntry(id: "demo-hotline", agency: "youth-league", name: "Demo 12355 Youth Hotline (made-up)"),
        NodeEntry(id: "demo-police", agency: "public-security", name: "Demo Police Station (made-up)"),
    ]

    /// Creates `directory/referrald.json` and `directory/nodes/<id>.json`.
    public static func write(directory: String, endpoint: String = "tcp://127.0.0.1:5570") throws {
        let fm = FileManager.default
        try fm.createDirectory(atPath: directory + "/nodes", withIntermediateDirectories: true)
        let nodes = demoNodes.map { ["id": $0.id, "agency": $0.agency, "name": $0.name] }
        let broker: [String: Any] = [
            "endpoint": endpoint,
            "admin_endpoint": "ipc://admin.sock",
            "data_directory": "broker",
            "heartbeat_ms": 5_000,
            "ack_timeout_ms": 30_000,
            "log_level": "info",
            "log_format": "text",
            "nodes": nodes,
        ]
        try writeJSON(broker, to: directory + "/referrald.json")
        for node in demoNodes {
            let client: [String: Any] = [
                "node": node.id, "broker": endpoint, "store": "\(node.id).sqlite", "window": 64,
            ]
            try writeJSON(client, to: directory + "/nodes/\(node.id).json")
        }
    }

    static func writeJSON(_ object: [String: Any], to path: String) throws {
        let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        guard FileManager.default.createFile(atPath: path, contents: data + Data("\n".utf8)) else {
            throw ConfigurationError(source: path, field: "(file)", problem: "cannot be written")
        }
    }
}
