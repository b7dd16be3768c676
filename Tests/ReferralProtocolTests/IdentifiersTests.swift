import Testing

@testable import ReferralProtocol

@Suite struct IdentifiersTests {
    @Test func nodeIds() {
        for valid in ["a", "0", "test-a", "school.350102.x_1", String(repeating: "z", count: 64)] {
            #expect(Identifiers.isValidNodeId(valid), "\(valid)")
        }
        for invalid in ["", "-a", ".a", "_a", "A", "test a", "tést", "a/b", String(repeating: "z", count: 65)] {
            #expect(!Identifiers.isValidNodeId(invalid), "\(invalid)")
        }
    }

    @Test func messageIds() {
        for valid in [
            "1", "test-a:000001", "0b7e4d2a@test-a.example:42", "A_b.C-d", String(repeating: "m", count: 128),
        ] {
            #expect(Identifiers.isValidMessageId(valid), "\(valid)")
        }
        for invalid in ["", "a b", "a/b", "é", "a#", String(repeating: "m", count: 129)] {
            #expect(!Identifiers.isValidMessageId(invalid), "\(invalid)")
        }
    }

    @Test func kinds() {
        for valid in [
            "a", "referral.request", "referral.no-show", "a1.b2-c", "x-.y", String(repeating: "k", count: 64),
        ] {
            #expect(Identifiers.isValidKind(valid), "\(valid)")
        }
        for invalid in [
            "", ".", "a.", ".a", "a..b", "1a", "a.1b", "a.-b", "A", "referral.Request", "a b", "a_b",
            String(repeating: "k", count: 65),
        ] {
            #expect(!Identifiers.isValidKind(invalid), "\(invalid)")
        }
    }

    @Test func caseIds() {
        let lower = "3f2a9c1e-8b4d-4e6f-9a0b-1c2d3e4f5a6b"
        #expect(Identifiers.normalizedCaseId(lower) == lower)
        #expect(Identifiers.normalizedCaseId("3F2A9C1E-8B4D-4E6F-9A0B-1C2D3E4F5A6B") == lower)
        #expect(Identifiers.normalizedCaseId("3f2A9c1E-8b4d-4e6f-9a0b-1c2d3e4f5a6b") == lower)
        for invalid in [
            "", "3f2a9c1e8b4d4e6f9a0b1c2d3e4f5a6b", "3f2a9c1e-8b4d-4e6f-9a0b-1c2d3e4f5a6",
            "{3f2a9c1e-8b4d-4e6f-9a0b-1c2d3e4f5a6b}",
            "3f2a9c1g-8b4d-4e6f-9a0b-1c2d3e4f5a6b", "3f2a9c1e-8b4d-4e6f-9a0b_1c2d3e4f5a6b",
            "3f2a9c1e-8b4d-4e6f-9a0b-1c2d3e4f5a6bé",
        ] {
            #expect(Identifiers.normalizedCaseId(invalid) == nil, "\(invalid)")
        }
    }
}
