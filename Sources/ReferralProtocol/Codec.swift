/// Frames ⇄ commands for 1/RBP. Pure and allocation-light; no I/O.
public enum Codec {
    /// Frame 1 of every message: "RBP" and the version octet 0x01.
    public static let signature: [UInt8] = [0x52, 0x42, 0x50, 0x01]

    /// Decodes one multipart message as sent in `direction`, checking everything in the order
    /// of 1/RBP §8 (steps 1-10) against `limits`.
    public static func decode(
        _ frames: [[UInt8]], direction: Direction, limits: Limits = .default
    ) -> Result<Command, DecodeFailure> {
        do throws(DecodeFailure) {
            return .success(try decodeThrowing(frames, direction: direction, limits: limits))
        } catch {
            return .failure(error)
        }
    }

    static func decodeThrowing(
        _ frames: [[UInt8]], direction: Direction, limits: Limits
    ) throws(DecodeFailure) -> Command {
        guard let first = frames.first else {
            throw DecodeFailure(code: .badFrames, reason: "an RBP message has at least 3 frames")
        }
        if first != signature {
            if first.count == 4 && first[0] == 0x52 && first[1] == 0x42 && first[2] == 0x50 {
                throw DecodeFailure(
                    code: .unsupportedVersion, reason: "RBP version \(first[3]) is not supported; this is version 1")
            }
            throw DecodeFailure(code: .badSignature, reason: "frame 1 is not the RBP version 1 signature")
        }
        // From here on every reply names the command, if frame 2 is one (1/RBP §7.13).
        let kind = frames.count > 1 ? CommandKind(bytes: frames[1]) : nil
        let name = kind?.name
        guard frames.count >= 3 else {
            throw DecodeFailure(code: .badFrames, reason: "an RBP message has at least 3 frames", command: name)
        }
        guard let kind else {
            throw DecodeFailure(code: .unknownCommand, reason: "frame 2 is not an RBP command")
        }
        guard kind.travels(direction) else {
            let sender = direction == .nodeToBroker ? "the broker" : "nodes"
            throw DecodeFailure(
                code: .unexpectedCommand, reason: "\(kind.name) is sent only by \(sender)", command: name)
        }
        if frames.count > (kind.hasBody ? 4 : 3) {
            let expected = kind.hasBody ? "3 or 4" : "3"
            throw DecodeFailure(code: .badFrames, reason: "\(kind.name) has \(expected) frames", command: name)
        }
        let header = frames[2]
        guard header.count <= limits.maxHeaderBytes else {
            throw DecodeFailure(
                code: .tooLarge, reason: "header is larger than \(limits.maxHeaderBytes) octets", command: name)
        }
        let parsed: JSONValue
        do throws(JSONError) {
            parsed = try JSONReader.parse(header, maxDepth: Limits.maxHeaderDepth)
        } catch {
            throw DecodeFailure(code: .badHeader, reason: "header is not valid JSON: \(error)", command: name)
        }
        guard case .object(let members) = parsed else {
            throw DecodeFailure(code: .badHeader, reason: "header is not a JSON object", command: name)
        }
        var fields = HeaderFields(members: members, command: kind)
        let body = frames.count == 4 ? frames[3] : []
        return try decodeHeader(kind, &fields, body: body, limits: limits)
    }
}
