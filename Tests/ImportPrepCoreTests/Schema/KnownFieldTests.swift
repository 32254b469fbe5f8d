import Testing

@testable import ImportPrepCore

/// `KnownField(bytes:)` compares names as words against constants: every name is found, and
/// nothing else is — each name with any one byte changed, cut, lengthened, or in other case.
@Suite struct KnownFieldTests {
    static func field(_ bytes: [UInt8]) -> KnownField? {
        bytes.withUnsafeBytes { KnownField(bytes: $0) }
    }

    @Test func everyNameIsFound() {
        for field in KnownField.allCases {
            #expect(Self.field(Array(field.name.utf8)) == field, "\(field.name)")
        }
        #expect(KnownField.allCases.count == 11)
    }

    @Test func nearMissesAreNotFound() {
        var tried = 0
        for field in KnownField.allCases {
            let name = Array(field.name.utf8)
            for k in name.indices {
                for delta: UInt8 in [1, 0x20, 0x80] {
                    var changed = name
                    changed[k] ^= delta
                    #expect(Self.field(changed) == nil, "\(field.name), byte \(k) ^ \(delta)")
                    tried += 1
                }
            }
            for cut in 0..<name.count { #expect(Self.field(Array(name[..<cut])) == nil) }
            #expect(Self.field(Array(name.dropFirst())) == nil)
            #expect(Self.field(name + [UInt8(ascii: "s")]) == nil)
            #expect(Self.field([UInt8(ascii: "_")] + name) == nil)
            #expect(Self.field(Array(field.name.uppercased().utf8)) == nil)
        }
        // Names of the same length, swapped halves: "event_name" with "event_type"'s end.
        #expect(Self.field(Array("event_nape".utf8)) == nil)
        #expect(Self.field(Array("user_ageid".utf8)) == nil)
        #expect(Self.field(Array("company_nt".utf8)) == nil)
        #expect(Self.field([]) == nil)
        #expect(tried > 250)
    }
}
