/// ADMIN-1 requests to and from their frames (protocols/ADMIN-1.md): `[signature, command, arguments]`, the
/// routing id and a REQ delimiter already taken off. Decoding is the broker's check of a request: what it
/// refuses comes back as the ERROR reply ADMIN-1 specifies (BAD_REQUEST naming the member, never its value, or
/// UNKNOWN_COMMAND); unknown members are ignored.
public enum AdminCodec {
    /// "RBA" and version 1: the first frame of every request and reply.
    public static let signature: [UInt8] = [0x52, 0x42, 0x41, 0x01]
    /// ADMIN-1 Frames: the arguments are at most 16384 octets.
    public static let maxArgumentOctets = 16_384
    /// Deeper than this is not an argument object of any command.
    static let maxArgumentDepth = 4

    public static func decodeRequest(_ frames: [[UInt8]]) -> Result<AdminRequest, AdminError> {
        guard frames.count == 3, frames[0] == signature else {
            return .failure(.badRequest("expected RBA1, command, JSON"))
        }
        do throws(AdminError) {
            let arguments = try AdminArguments(frames[2])
            guard let command = AdminCommand(rawValue: String(decoding: frames[1], as: UTF8.self)) else {
                throw AdminError(.unknownCommand, "unknown admin command")
            }
            return .success(try request(command, arguments))
        } catch {
            return .failure(error)
        }
    }

    private static func request(_ command: AdminCommand, _ arguments: AdminArguments) throws(AdminError) -> AdminRequest
    {
        switch command {
        case .status: return .status
        case .stats: return .stats
        case .reload: return .reload
        case .auditVerify: return .auditVerify
        case .overdue:
            return .overdue(
                AdminRequest.OverdueFilter(
                    region: try arguments.text("region"), agency: try arguments.text("agency"),
                    risk: try arguments.text("risk")))
        case .trail:
            return .trail(try trailSubject(arguments))
        case .caseInfo:
            return .caseInfo(caseId: try arguments.requiredText("case", command: "CASE"))
        case .auditExport:
            return .auditExport(
                since: try arguments.integer("since", minimum: 0) ?? 0,
                limit: try arguments.integer("limit", minimum: 1))
        case .backup:
            let path = try arguments.requiredText("path", command: "BACKUP")
            // The broker resolves it, not the client's shell: a relative path would land beside the daemon's cwd.
            guard path.hasPrefix("/") else { throw .badRequest("BACKUP needs an absolute \"path\"") }
            return .backup(path: path)
        }
    }

    private static func trailSubject(_ arguments: AdminArguments) throws(AdminError) -> AdminRequest.TrailSubject {
        let usage = AdminError.badRequest("TRAIL needs exactly one of {\"message\":{\"sender\",\"id\"}} and {\"case\"}")
        switch (try arguments.object("message"), try arguments.text("case")) {
        case (let message?, nil):
            guard let sender = try message.text("sender", path: "message.sender"),
                let id = try message.text("id", path: "message.id")
            else { throw usage }
            return .message(sender: sender, id: id)
        case (nil, let caseId?):
            return .caseId(caseId)
        default:
            throw usage
        }
    }

    /// The request's frames; arguments compact, members in the order ADMIN-1 lists them, optional ones left out
    /// when nil.
    public static func encode(_ request: AdminRequest) -> [[UInt8]] {
        var members: [(key: String, value: JSONValue)] = []
        switch request {
        case .status, .reload, .auditVerify, .stats:
            break
        case .trail(.message(let sender, let id)):
            members = [("message", .object([("sender", .string(sender)), ("id", .string(id))]))]
        case .trail(.caseId(let caseId)), .caseInfo(let caseId):
            members = [("case", .string(caseId))]
        case .overdue(let filter):
            for case (let key, let value?) in [
                ("region", filter.region), ("agency", filter.agency), ("risk", filter.risk),
            ] {
                members.append((key, .string(value)))
            }
        case .auditExport(let since, let limit):
            members = [("since", .integer(since))]
            if let limit { members.append(("limit", .integer(limit))) }
        case .backup(let path):
            members = [("path", .string(path))]
        }
        return [signature, Array(request.command.rawValue.utf8), JSONWriter.encode(.object(members))]
    }
}

/// The arguments frame of a request, checked: a JSON object whose members have the types the command needs.
private struct AdminArguments {
    private let value: JSONValue

    init(_ frame: [UInt8]) throws(AdminError) {
        guard frame.count <= AdminCodec.maxArgumentOctets else {
            throw .badRequest("the arguments are larger than \(AdminCodec.maxArgumentOctets) octets")
        }
        guard let parsed = try? JSONReader.parse(frame, maxDepth: AdminCodec.maxArgumentDepth), case .object = parsed
        else { throw .badRequest("the arguments must be a JSON object") }
        value = parsed
    }

    private init(value: JSONValue) {
        self.value = value
    }

    /// An optional string member; absent, null or empty is nil.
    func text(_ key: String, path: String? = nil) throws(AdminError) -> String? {
        switch value[key] {
        case nil, .null?: return nil
        case .string(let text)?: return text.isEmpty ? nil : text
        default: throw .badRequest("\"\(path ?? key)\" must be a string")
        }
    }

    /// A string member that must be there and not be empty.
    func requiredText(_ key: String, command: String) throws(AdminError) -> String {
        guard let text = try text(key) else { throw .badRequest("\(command) needs \"\(key)\": a non-empty string") }
        return text
    }

    /// An optional object member.
    func object(_ key: String) throws(AdminError) -> AdminArguments? {
        switch value[key] {
        case nil, .null?: return nil
        case let member? where member.isObject: return AdminArguments(value: member)
        default: throw .badRequest("\"\(key)\" must be a JSON object")
        }
    }

    /// An optional integer member of at least `minimum`.
    func integer(_ key: String, minimum: Int64) throws(AdminError) -> Int64? {
        switch value[key] {
        case nil, .null?: return nil
        case .integer(let number)? where number >= minimum: return number
        default: throw .badRequest("\"\(key)\" must be an integer of at least \(minimum)")
        }
    }
}

extension JSONValue {
    fileprivate var isObject: Bool {
        if case .object = self { return true }
        return false
    }
}
