import Testing

@testable import ReferralProtocol

/// Decoding never crashes, whatever the frames; and whatever decodes re-encodes to the same command.
@Suite struct FuzzTests {
    /// SplitMix64: small, seeded, the same sequence on every run.
    struct Generator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static let pieces: [[UInt8]] =
        [
            "{", "}", "[", "]", ",", ":", "\"", "\\", "\\u", "d83d", "\\ud800", "null", "true", "0", "-", "1e9",
            "9007199254740992",
            "\"seq\"", "\"id\"", "\"to\"", "\"node\"", "\"window\"", "\"kind\"", "\"case\"", "\"priority\"",
            "\"urgent\"",
            "\"test-a\"", "\"referral.request\"", "\"3f2a9c1e-8b4d-4e6f-9a0b-1c2d3e4f5a6b\"", " ",
        ].map { Array($0.utf8) } + [[0xFF], [0xC3], [0xE4, 0xB8, 0xAD], [0xED, 0xA0, 0x80], [0]]

    /// Mostly the header, where the decoder does most of its work.
    func pickFrame(_ frames: [[UInt8]], _ rng: inout Generator) -> Int {
        frames.count > 2 && Int.random(in: 0..<4, using: &rng) != 0 ? 2 : Int.random(in: 0..<frames.count, using: &rng)
    }

    func mutate(_ frames: [[UInt8]], _ rng: inout Generator) -> [[UInt8]] {
        var frames = frames
        for _ in 0..<Int.random(in: 1...3, using: &rng) {
            switch Int.random(in: 0..<10, using: &rng) {
            case 0 where !frames.isEmpty:  // flip a byte
                let f = pickFrame(frames, &rng)
                if !frames[f].isEmpty {
                    frames[f][Int.random(in: 0..<frames[f].count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
                }
            case 1 where !frames.isEmpty:  // truncate a frame
                let f = pickFrame(frames, &rng)
                frames[f] = Array(frames[f].prefix(Int.random(in: 0...frames[f].count, using: &rng)))
            case 2 where !frames.isEmpty:  // insert JSON-ish pieces
                let f = pickFrame(frames, &rng)
                let at = Int.random(in: 0...frames[f].count, using: &rng)
                frames[f].insert(contentsOf: Self.pieces.randomElement(using: &rng)!, at: at)
            case 3 where !frames.isEmpty && Int.random(in: 0..<4, using: &rng) == 0:  // drop a frame
                frames.remove(at: Int.random(in: 0..<frames.count, using: &rng))
            case 4 where !frames.isEmpty && Int.random(in: 0..<4, using: &rng) == 0:  // duplicate a frame
                frames.append(frames.randomElement(using: &rng)!)
            case 5 where frames.count > 1:  // swap the command
                frames[1] = Array(CommandKind.allCases.randomElement(using: &rng)!.name.utf8)
            case 6 where frames.count > 2:  // replace a header member's value
                frames[2] =
                    Array(frames[2].prefix(Int.random(in: 0...frames[2].count, using: &rng)))
                    + Self.pieces.randomElement(using: &rng)! + Array("}".utf8)
            case 7 where frames.count > 2 && frames[2].last == UInt8(ascii: "}"):  // add an unknown member
                let value = Self.pieces.randomElement(using: &rng)!
                frames[2].insert(contentsOf: Array(#","x-new":"#.utf8) + value, at: frames[2].count - 1)
            case 8 where frames.count > 2:  // whitespace after a structural character
                if let at = frames[2].indices.filter({ "{[,:".utf8.contains(frames[2][$0]) }).randomElement(using: &rng)
                {
                    frames[2].insert(contentsOf: [0x20, 0x0A, 0x09], at: at + 1)
                }
            case 9 where Int.random(in: 0..<4, using: &rng) == 0:  // a random frame
                frames.append(
                    (0..<Int.random(in: 0...16, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) })
            default:
                break
            }
        }
        return frames
    }

    func randomFrames(_ rng: inout Generator) -> [[UInt8]] {
        var frames: [[UInt8]] = []
        if Int.random(in: 0..<8, using: &rng) != 0 { frames.append(Codec.signature) }
        if Int.random(in: 0..<8, using: &rng) != 0 {
            frames.append(Array(CommandKind.allCases.randomElement(using: &rng)!.name.utf8))
        }
        var header: [UInt8] = []
        for _ in 0..<Int.random(in: 0...12, using: &rng) { header += Self.pieces.randomElement(using: &rng)! }
        frames.append(header)
        for _ in 0..<Int.random(in: 0...2, using: &rng) {
            frames.append((0..<Int.random(in: 0...8, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) })
        }
        return frames
    }

    @Test func decodeSurvivesRandomAndMutatedFrames() throws {
        let seeds = try Vectors.valid().map(\.frames) + Vectors.invalid().map(\.frames)
        var rng = Generator(state: 0x5EED_1234)
        let small = Limits(maxHeaderBytes: 128, maxBodyBytes: 4, maxRecipients: 2, maxWindow: 8)
        var decoded = 0
        var failures: [ErrorCode: Int] = [:]
        for iteration in 0..<2000 {
            let frames = iteration % 2 == 0 ? mutate(seeds.randomElement(using: &rng)!, &rng) : randomFrames(&rng)
            for direction in [Direction.nodeToBroker, .brokerToNode] {
                for limits in [Limits.default, small] {
                    switch Codec.decode(frames, direction: direction, limits: limits) {
                    case .success(let command):
                        decoded += 1
                        let again = Codec.decode(Codec.encode(command), direction: direction, limits: limits)
                        #expect(try again.get() == command)
                    case .failure(let failure):
                        failures[failure.code, default: 0] += 1
                        #expect(!failure.reason.isEmpty)
                        if let id = failure.messageId {  // REJECTED only for a SEND with a valid id
                            #expect(failure.command == "SEND")
                            #expect(failure.code == .badField || failure.code == .tooLarge)
                            #expect(Identifiers.isValidMessageId(id))
                        }
                    }
                }
            }
            if frames.count > 2 {
                if let value = try? JSONReader.parse(frames[2], maxDepth: 4) {
                    #expect(try JSONReader.parse(JSONWriter.encode(value), maxDepth: 4) == value, "\(value)")
                }
            }
        }
        // The generator reaches both outcomes and many codes, so the run means something.
        #expect(decoded > 150)
        #expect(failures.count == 8)  // every code the codec can give
    }
}
