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
            let limit = try arguments.integer("limit", minimum: 1)
            if let limit, limit > AdminRequest.OverdueFilter.maxLimit {
                throw .badRequest("\"limit\" must be an integer of at most \(AdminRequest.OverdueFilter.maxLimit)")
            }
            return .overdue(
                AdminRequest.OverdueFilter(
                    region: try arguments.text("region"), agency: try arguments.text("agency"),
                    risk: try arguments.text("risk"), escalated: try arguments.flag("escalated"), limit: limit))
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
        case .purge:
            return .purge(operator: try arguments.requiredText("operator", command: "PURGE"))
        case .deadLetters, .deadLetter, .redrive, .discard, .held, .release:
            return try repairRequest(command, arguments)
        case .nodeSuspend, .nodeResume, .nodeBacklog, .nodeMoveBacklog, .nodeRotateKey:
            return try nodeRequest(command, arguments)
        }
    }

    /// The repair commands' arguments (ADMIN-1 DEAD-LETTERS ... RELEASE).
    private static func repairRequest(
        _ command: AdminCommand, _ arguments: AdminArguments
    ) throws(AdminError) -> AdminRequest {
        let name = command.rawValue
        switch command {
        case .deadLetters:
            let limit = try arguments.integer("limit", minimum: 1)
            if let limit, limit > AdminRepair.Query.maxLimit {
                throw .badRequest("\"limit\" must be an integer of at most \(AdminRepair.Query.maxLimit)")
            }
            let cursor = try arguments.text("cursor")
            if let cursor, AdminRepair.Cursor(cursor) == nil {
                throw .badRequest("\"cursor\" must be a next_cursor of an earlier DEAD-LETTERS reply")
            }
            return .deadLetters(
                AdminRepair.Query(
                    node: try arguments.text("node"), sender: try arguments.text("sender"),
                    kind: try arguments.text("kind"), reason: try arguments.text("reason"),
                    olderThanMs: try arguments.integer("older_than_ms", minimum: 0),
                    since: try arguments.integer("since", minimum: 0), limit: limit, cursor: cursor))
        case .deadLetter:
            return .deadLetter(
                seq: try arguments.requiredInteger("seq", command: name),
                recipient: try arguments.requiredText("recipient", command: name))
        case .redrive:
            return .redrive(
                seq: try arguments.requiredInteger("seq", command: name),
                recipient: try arguments.requiredText("recipient", command: name), to: try arguments.text("to"),
                operatorName: try arguments.operatorName(command: name))
        case .discard:
            return .discard(
                seq: try arguments.requiredInteger("seq", command: name),
                recipient: try arguments.requiredText("recipient", command: name),
                operatorName: try arguments.operatorName(command: name))
        case .held:
            return .held(recipient: try arguments.text("recipient"))
        default:
            return .release(
                caseId: try arguments.requiredText("case", command: name),
                recipient: try arguments.requiredText("recipient", command: name),
                operatorName: try arguments.operatorName(command: name))
        }
    }

    /// The node commands (ADMIN-1 NODE-*): every one that changes something names its `operator`.
    private static func nodeRequest(
        _ command: AdminCommand, _ arguments: AdminArguments
    ) throws(AdminError) -> AdminRequest {
        let name = command.rawValue
        switch command {
        case .nodeSuspend:
            return .nodeSuspend(
                node: try arguments.requiredText("node", command: name),
                reason: try arguments.requiredText("reason", command: name),
                operator: try arguments.requiredText("operator", command: name))
        case .nodeResume:
            return .nodeResume(
                node: try arguments.requiredText("node", command: name),
                operator: try arguments.requiredText("operator", command: name))
        case .nodeBacklog:
            return .nodeBacklog(
                node: try arguments.requiredText("node", command: name),
                limit: try arguments.integer("limit", minimum: 1), after: try arguments.integer("after", minimum: 0))
        case .nodeMoveBacklog:
            return .nodeMoveBacklog(
                from: try arguments.requiredText("from", command: name),
                to: try arguments.requiredText("to", command: name),
                operator: try arguments.requiredText("operator", command: name))
        default:
            let node = try arguments.requiredText("node", command: name)
            let key = try arguments.requiredText("public_key", command: name)
            guard isZ85Key(key) else {
                throw .badRequest("\"public_key\" must be a CURVE public key in Z85 (40 characters)")
            }
            guard let grace = try arguments.integer("grace_ms", minimum: 0) else {
                throw .badRequest("\(name) needs \"grace_ms\": an integer of at least 0")
            }
            return .nodeRotateKey(
                node: node, publicKey: key, graceMs: grace,
                operator: try arguments.requiredText("operator", command: name))
        }
    }

    /// 40 characters of the Z85 alphabet (ZeroMQ RFC 32): a CURVE public key as the directory holds it.
    static func isZ85Key(_ text: String) -> Bool {
        let alphabet = Set(
            "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#".utf8)
        return text.utf8.count == 40 && text.utf8.allSatisfy(alphabet.contains)
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
            if filter.escalated { members.append(("escalated", .bool(true))) }
            if let limit = filter.limit { members.append(("limit", .integer(limit))) }
        case .auditExport(let since, let limit):
            members = [("since", .integer(since))]
            if let limit { members.append(("limit", .integer(limit))) }
        case .backup(let path):
            members = [("path", .string(path))]
        case .deadLetters(let query):
            for case (let key, let value?) in [
                ("node", query.node), ("sender", query.sender), ("kind", query.kind), ("reason", query.reason),
            ] {
                members.append((key, .string(value)))
            }
            for case (let key, let value?) in [
                ("older_than_ms", query.olderThanMs), ("since", query.since), ("limit", query.limit),
            ] {
                members.append((key, .integer(value)))
            }
            if let cursor = query.cursor { members.append(("cursor", .string(cursor))) }
        case .deadLetter(let seq, let recipient):
            members = [("seq", .integer(seq)), ("recipient", .string(recipient))]
        case .redrive(let seq, let recipient, let to, let operatorName):
            members = [("seq", .integer(seq)), ("recipient", .string(recipient))]
            if let to { members.append(("to", .string(to))) }
            members.append(("operator", .string(operatorName)))
        case .discard(let seq, let recipient, let operatorName):
            members = [("seq", .integer(seq)), ("recipient", .string(recipient)), ("operator", .string(operatorName))]
        case .held(let recipient):
            if let recipient { members = [("recipient", .string(recipient))] }
        case .release(let caseId, let recipient, let operatorName):
            members = [
                ("case", .string(caseId)), ("recipient", .string(recipient)), ("operator", .string(operatorName)),
            ]
        case .purge(let name):
            members = [("operator", .string(name))]
        case .nodeSuspend(let node, let reason, let op):
            members = [("node", .string(node)), ("reason", .string(reason)), ("operator", .string(op))]
        case .nodeResume(let node, let op):
            members = [("node", .string(node)), ("operator", .string(op))]
        case .nodeBacklog(let node, let limit, let after):
            members = [("node", .string(node))]
            if let limit { members.append(("limit", .integer(limit))) }
            if let after { members.append(("after", .integer(after))) }
        case .nodeMoveBacklog(let from, let to, let op):
            members = [("from", .string(from)), ("to", .string(to)), ("operator", .string(op))]
        case .nodeRotateKey(let node, let key, let grace, let op):
            members = [
                ("node", .string(node)), ("public_key", .string(key)), ("grace_ms", .integer(grace)),
                ("operator", .string(op)),
            ]
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

    /// An integer member that must be there, at least 1 (a seq).
    func requiredInteger(_ key: String, command: String) throws(AdminError) -> Int64 {
        guard let number = try integer(key, minimum: 1) else {
            throw .badRequest("\(command) needs \"\(key)\": an integer of at least 1")
        }
        return number
    }

    /// The operator who asks for a change (audited): a non-empty string of at most 64 characters.
    func operatorName(command: String) throws(AdminError) -> String {
        let name = try requiredText("operator", command: command)
        guard name.count <= 64 else { throw .badRequest("\"operator\" must be at most 64 characters") }
        return name
    }

    /// An optional boolean member; absent or null is false.
    func flag(_ key: String) throws(AdminError) -> Bool {
        switch value[key] {
        case nil, .null?: return false
        case .bool(let flag)?: return flag
        default: throw .badRequest("\"\(key)\" must be true or false")
        }
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
