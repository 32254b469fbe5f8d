import Testing

@testable import ImportPrepCore

/// `pii_in_event_metadata` tells e-mail addresses and IPv4 addresses by hand-written byte loops
/// (no arrays, no `String` per value). These tests hold them to the plain definitions, written
/// here the obvious way, on hand-picked values and on every short string of a small alphabet.
@Suite struct PersonalDataPatternTests {
    static func referenceIsIPv4(_ text: [UInt8]) -> Bool {
        let parts = text.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard parts.count == 4 else { return false }
        return parts.allSatisfy { part in
            part.count >= 1 && part.count <= 3 && part.allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
                && Int(String(decoding: part, as: UTF8.self))! <= 255
        }
    }

    static func referenceIsEmail(_ text: [UInt8]) -> Bool {
        guard let at = text.firstIndex(of: UInt8(ascii: "@")), at > 0, at < text.count - 3,
            !text.contains(where: { MigrationProfiler.isSpace($0) }),
            text[(at + 1)...].firstIndex(of: UInt8(ascii: "@")) == nil,
            let dot = text[(at + 2)...].lastIndex(of: UInt8(ascii: ".")), dot < text.count - 1
        else { return false }
        return true
    }

    static func check(_ text: [UInt8]) -> Bool {
        text.withUnsafeBytes { raw in
            MigrationProfiler.isIPv4(raw) == referenceIsIPv4(text)
                && MigrationProfiler.isEmail(raw) == referenceIsEmail(text)
        }
    }

    @Test func handPickedValues() {
        let ipv4 = ["1.2.3.4", "255.255.255.255", "0.0.0.0", "010.1.1.1", "192.168.0.1"]
        let notIPv4 = [
            "256.1.1.1", "1.2.3", "1.2.3.4.5", "1..2.3", ".1.2.3", "1.2.3.", "1.2.3.4a", "1234.1.1.1", "", "a.b.c.d",
            "1.2.3.-4",
        ]
        let email = ["a@b.co", "first.last@example.com", "x@mail.example.org"]
        let notEmail = ["@b.co", "a@b", "a@.com", "a b@c.de", "a@b@c.de", "a@bc.", "plain", ""]
        for text in ipv4 { #expect(Array(text.utf8).withUnsafeBytes { MigrationProfiler.isIPv4($0) }, "\(text)") }
        for text in notIPv4 { #expect(!Array(text.utf8).withUnsafeBytes { MigrationProfiler.isIPv4($0) }, "\(text)") }
        for text in email { #expect(Array(text.utf8).withUnsafeBytes { MigrationProfiler.isEmail($0) }, "\(text)") }
        for text in notEmail { #expect(!Array(text.utf8).withUnsafeBytes { MigrationProfiler.isEmail($0) }, "\(text)") }
        for text in ipv4 + notIPv4 + email + notEmail { #expect(Self.check(Array(text.utf8)), "\(text)") }
    }

    /// Every string of up to seven bytes over an alphabet that makes addresses and near misses.
    @Test func everyShortStringAgreesWithTheDefinitions() {
        let alphabet = Array("029.@a ".utf8)
        var text: [UInt8] = []
        var checked = 0
        var disagreements: [String] = []
        func visit(_ length: Int) {
            if !Self.check(text) && disagreements.count < 5 {
                disagreements.append(String(decoding: text, as: UTF8.self))
            }
            checked += 1
            guard length < 7 else { return }
            for c in alphabet {
                text.append(c)
                visit(length + 1)
                text.removeLast()
            }
        }
        visit(0)
        #expect(disagreements.isEmpty, "\(disagreements)")
        // 1 + 7 + 7^2 + … + 7^7 strings.
        #expect(checked == (0...7).reduce(0) { sum, n in sum + (0..<n).reduce(1) { product, _ in product * 7 } })
    }
}
