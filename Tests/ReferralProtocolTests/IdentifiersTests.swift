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

    @Test func addresses() {
        let name32 = "a" + String(repeating: "b-9", count: 10) + "c"
        #expect(name32.utf8.count == 32)
        for valid in [
            // plain node ids (version 1) and node: addresses
            "test-b", "0", "school.350102.x_1", String(repeating: "z", count: 64),
            "node:test-b", "node:0", "node:" + String(repeating: "z", count: 64),
            // roles: a kind or *, divisions of 6, 9 and 12 digits
            "role:health/psychiatric-clinic@350102", "role:civil-affairs/*@350102100201",
            "role:education/school@350102001", "role:womens-federation/family-education-station@350000",
            "role:x/y@000000", "role:a-/b-@123456789", "role:h1/k2@350102",
            "role:\(name32)/\(name32)@350102100201",
            // grammar only: the broker decides whether agency, kind and division exist
            "role:nosuch-agency/x@350102", "role:health/hospital@350199",
        ] {
            #expect(Identifiers.isValidAddress(valid), "\(valid)")
        }
        for invalid in [
            "", "Test-B", "-b", "test b", "tést",
            "node:", "node:Test-B", "node:-b", "Node:test-b", "NODE:test-b", "node:node:test-b",
            "node:" + String(repeating: "z", count: 65), "node :test-b", ":test-b", "group:test-b",
            "role:", "role:health", "role:health/", "role:health/hospital", "role:health/hospital@",
            "role:health@350102", "role:/hospital@350102", "role:health/@350102", "role:Health/hospital@350102",
            "role:health/Hospital@350102", "role:1health/hospital@350102", "role:health/1hospital@350102",
            "role:-health/hospital@350102", "role:health/-@350102", "role:civil_affairs/*@350102",
            "role:health/psychiatric.clinic@350102", "role:health/**@350102", "role:health/*x@350102",
            "role:health/x*@350102", "role:health/hospital/x@350102", "role:health/hospital@350102@350102",
            "role:health/hospital@35", "role:health/hospital@3501", "role:health/hospital@35010",
            "role:health/hospital@3501020", "role:health/hospital@35010200", "role:health/hospital@3501020012",
            "role:health/hospital@35010200100", "role:health/hospital@3501020010011",
            "role:health/hospital@35010a", "role:health/hospital@-350102", "role:health/hospital@350102 ",
            " role:health/hospital@350102", "role:health/hospital@\u{FF13}\u{FF15}\u{FF10}\u{FF11}\u{FF10}\u{FF12}",
            "role:health/hospital@350102\u{0}", "ROLE:health/hospital@350102", "role:héalth/hospital@350102",
            "role:a\(name32)/x@350102", "role:x/a\(name32)@350102",
        ] {
            #expect(!Identifiers.isValidAddress(invalid), "\(invalid)")
        }
    }

    /// The address check also works on strings whose UTF-8 is not contiguous (bridged, lazily decoded).
    /// A refused address is explained by its bad part, not by the whole grammar (issue 8, item 19).
    @Test func addressProblemNamesTheBadPart() {
        #expect(Identifiers.addressProblem("role:health/child-psychology-clinic@350102001") == nil)
        #expect(Identifiers.addressProblem("test-b") == nil)
        let division = Identifiers.addressProblem("role:health/child-psychology-clinic@35010200")
        #expect(division?.hasPrefix("has division \"35010200\"") == true, "\(division ?? "")")
        #expect(Identifiers.addressProblem("role:Health/*@350102")?.hasPrefix("has agency \"Health\"") == true)
        #expect(Identifiers.addressProblem("role:health/Clinic@350102")?.hasPrefix("has node kind \"Clinic\"") == true)
        #expect(Identifiers.addressProblem("node:-x")?.hasPrefix("has node id \"-x\"") == true)
        #expect(Identifiers.addressProblem("role:health")?.contains("role:AGENCY/KIND@DIVISION") == true)
        #expect(Identifiers.addressProblem("Test B")?.contains("node id") == true)
    }

    @Test func addressOfSubstringBackedString() {
        let whole = "xxrole:health/*@350102xx"
        let middle = String(whole.dropFirst(2).dropLast(2))
        #expect(Identifiers.isValidAddress(middle))
    }

    /// The fast check agrees with a plain statement of the grammar on many near-miss strings.
    @Test func addressAgreesWithReference() {
        var rng = FuzzTests.Generator(state: 0xADD2_E55)
        let pieces = [
            "role:", "node:", "Role:", "health", "civil-affairs", "a", "z9", "-", "/", "*", "@", "350102", "001",
            "100201", "9", "x", "X", ".", "_", ":", " ", "é", "test-b", String(repeating: "k", count: 30),
        ]
        var valid = 0
        for _ in 0..<20_000 {
            let s = (0..<Int.random(in: 0...7, using: &rng)).map { _ in pieces.randomElement(using: &rng)! }.joined()
            let fast = Identifiers.isValidAddress(s)
            #expect(fast == Self.referenceIsAddress(s), "\(s)")
            if Identifiers.isValidNodeId(s) {
                #expect(fast)
                #expect(Identifiers.isValidAddress("node:" + s))
            }
            if fast { valid += 1 }
        }
        #expect(valid > 200)  // the pieces reach both outcomes
    }

    /// A slow, obviously correct statement of the address grammar, to compare the fast one with.
    static func referenceIsAddress(_ s: String) -> Bool {
        guard s.utf8.count <= 128 else { return false }
        func isName(_ t: Substring) -> Bool {
            guard let first = t.first, ("a"..."z").contains(first), t.count <= 32 else { return false }
            return t.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" }
        }
        if s.hasPrefix("role:") {
            let rest = s.dropFirst(5)
            let parts = rest.split(separator: "@", omittingEmptySubsequences: false)
            guard parts.count == 2 else { return false }
            let pair = parts[0].split(separator: "/", omittingEmptySubsequences: false)
            guard pair.count == 2, isName(pair[0]), pair[1] == "*" || isName(pair[1]) else { return false }
            let division = parts[1]
            return [6, 9, 12].contains(division.count) && division.allSatisfy { ("0"..."9").contains($0) }
        }
        let id = s.hasPrefix("node:") ? String(s.dropFirst(5)) : s
        return Identifiers.isValidNodeId(id)
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
