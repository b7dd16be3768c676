import Testing

@testable import ReferralProtocol

@Suite struct SHA256Tests {
    func hex(_ text: String) -> String { SHA256.hex(SHA256.hash(Array(text.utf8))) }

    /// FIPS 180-4 examples (NIST CSRC "SHA256.pdf", and the long-message vector).
    @Test func standardVectors() {
        #expect(hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(
            hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        #expect(
            SHA256.hex(SHA256.hash(Array(repeating: UInt8(ascii: "a"), count: 1_000_000)))
                == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test func paddingBoundaries() {
        // Lengths around one block: 55 fits the length in the same block, 56 needs another.
        #expect(
            hex(String(repeating: "a", count: 55)) == "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318"
        )
        #expect(
            hex(String(repeating: "a", count: 56)) == "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a"
        )
        #expect(
            hex(String(repeating: "a", count: 64)) == "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb"
        )
    }

    @Test func incrementalEqualsOneShot() {
        let data = (0..<1000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        for split in [0, 1, 63, 64, 65, 127, 500, 999, 1000] {
            var stream = SHA256.Stream()
            stream.update(Array(data[..<split]))
            stream.update(Array(data[split...]))
            #expect(stream.finalize() == SHA256.hash(data))
        }
    }

    /// The SHA-NI path (taken when the CPU has it) and the portable code agree on every length around the block
    /// boundaries and on many blocks at once; the standard vectors above run through whichever `hash` uses.
    @Test func acceleratedEqualsPortable() {
        var generator = SystemRandomNumberGenerator()
        for length in Array(0...300) + [1_023, 1_024, 1_025, 4_096, 65_537] {
            let data = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            #expect(SHA256.hash(data) == SHA256.portableHash(data), "length \(length)")
        }
        #expect(
            SHA256.hex(SHA256.portableHash(Array("abc".utf8)))
                == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test func hexIsLowercase() {
        #expect(SHA256.hex([0x00, 0x0F, 0xA0, 0xFF]) == "000fa0ff")
        #expect(SHA256.hex([]) == "")
    }

    /// The examples of 1/RBP §12.7.
    @Test func contentDigestMatchesTheSpec() {
        let first = Send(id: "any", to: ["test-b"], kind: "referral.request", priority: .routine)
        #expect(SHA256.hex(first.contentDigest) == "93006031d72eeeaa03711cb6a59de902f2ccbd0ae2fa319dfb6c032a09bd68ba")
        let second = Send(
            id: "other", to: ["test-b", "test-a"], kind: "discharge.notice",
            caseId: "3F2A9C1E-8B4D-4E6F-9A0B-1C2D3E4F5A6B", priority: .crisis, body: Array("{}".utf8))
        #expect(SHA256.hex(second.contentDigest) == "59af388663405094c74ba8b4905a22cd1f145caf897329e24a8dba92e53b15eb")
        // 1.1: over the addresses as sent, not what they resolve to.
        let third = Send(
            id: "third", to: ["test-b", "role:health/psychiatric-clinic@350102"], kind: "referral.request",
            priority: .urgent)
        #expect(SHA256.hex(third.contentDigest) == "b6d40178f7104d120127fb7c916aea3de1dd174db6b17d51814383b44f8a94ab")
        let fourth = Send(id: "fourth", to: ["node:test-b"], kind: "referral.request", priority: .routine)
        #expect(SHA256.hex(fourth.contentDigest) == "5b251dfaeef7bf21c07e7b293f92fd8dfb7a4b22b944369ab49f81ab91ac6b75")
        // 1.3: a follow-up plan adds its canonical text as a last item (visits_by sorted).
        let plan = FollowUpHeader(
            steps: [.within(days: 7), .within(days: 30), .every(days: 30, months: 6)],
            visitsBy: ["test-a", "role:civil-affairs/child-director@350102100201"],
            owner: "role:civil-affairs/township-supervisor@350102100")
        let fifth = Send(
            id: "fifth", to: ["test-x", "test-a"], kind: "discharge.notice",
            caseId: "3f2a9c1e-8b4d-4e6f-9a0b-1c2d3e4f5a6b", priority: .routine, followUp: plan)
        #expect(SHA256.hex(fifth.contentDigest) == "70c8da04e68f443edeef1e49fc74b0c29601a2583d620aece086543ad7d7a30f")
        var reordered = fifth
        reordered.followUp?.visitsBy.reverse()
        #expect(reordered.contentDigest == fifth.contentDigest)
        var withoutPlan = fifth
        withoutPlan.followUp = nil
        #expect(withoutPlan.contentDigest != fifth.contentDigest)
    }

    @Test func contentDigestCoversContentOnly() {
        let base = Send(
            id: "m-1", to: ["test-a", "test-b"], kind: "referral.request",
            caseId: "3f2a9c1e-8b4d-4e6f-9a0b-1c2d3e4f5a6b", priority: .urgent, body: [1, 2, 3])
        var same = base
        same.id = "m-2"
        same.to = ["test-b", "test-a"]
        same.caseId = "3F2A9C1E-8B4D-4E6F-9A0B-1C2D3E4F5A6B"
        #expect(same.contentDigest == base.contentDigest)

        var variants: [Send] = []
        for change in 0..<6 {
            var v = base
            switch change {
            case 0: v.to = ["test-a"]
            case 1: v.kind = "referral.cancelled"
            case 2: v.caseId = nil
            case 3: v.priority = .crisis
            case 4: v.body = [1, 2]
            default: v.body = []
            }
            variants.append(v)
        }
        let digests = Set(([base] + variants).map(\.contentDigest))
        #expect(digests.count == 7)

        // Length prefixes keep field boundaries apart.
        let a = Send(id: "x", to: ["ab"], kind: "c", priority: .routine)
        let b = Send(id: "x", to: ["a"], kind: "bc", priority: .routine)
        #expect(a.contentDigest != b.contentDigest)
    }
}
