import CPUHints

/// The parts of an absolute `http`/`https` URL that the API derives `hostname` and `pathname` from.
struct EventURL {
    /// Host without user info or port.
    var host: UnsafeRawBufferPointer
    /// Path up to `?` or `#`; empty means `/`.
    var path: UnsafeRawBufferPointer

    /// Parses `bytes` (no allocation); nil when it is not an absolute http(s) URL with a host.
    static func parse(_ bytes: UnsafeRawBufferPointer) -> EventURL? {
        let n = bytes.count
        var i = 0
        // Scheme, case-insensitive: http or https, then "://".
        @inline(__always) func lower(_ k: Int) -> UInt8 { bytes[k] | 0x20 }
        guard n >= 8, lower(0) == UInt8(ascii: "h"), lower(1) == UInt8(ascii: "t"), lower(2) == UInt8(ascii: "t"),
            lower(3) == UInt8(ascii: "p")
        else { return nil }
        i = 4
        if lower(i) == UInt8(ascii: "s") { i += 1 }
        guard i + 3 <= n, bytes[i] == UInt8(ascii: ":"), bytes[i + 1] == UInt8(ascii: "/"),
            bytes[i + 2] == UInt8(ascii: "/")
        else { return nil }
        i += 3
        // No white space, control character (C0, DEL, C1) or backslash anywhere (SPEC §3).
        // Visible ASCII but the backslash is skipped sixteen bytes at a time; the rest is looked
        // at closely.
        let p = bytes.baseAddress!.assumingMemoryBound(to: UInt8.self)
        var k = import_prep_skip_visible(p, 0, n)
        while k < n {
            let c = bytes[k]
            if c < 0x80 { return nil }
            if c == 0xC2 && k + 1 < n && bytes[k + 1] >= 0x80 && bytes[k + 1] <= 0xA0 { return nil }
            if c >= 0xE1 && c <= 0xE3 && WhiteSpace.length(bytes, at: k) > 0 { return nil }
            k = import_prep_skip_visible(p, k + 1, n)
        }
        let authorityStart = i
        while i < n, bytes[i] != UInt8(ascii: "/"), bytes[i] != UInt8(ascii: "?"), bytes[i] != UInt8(ascii: "#") {
            i += 1
        }
        let authorityEnd = i
        var hostStart = authorityStart
        for k in authorityStart..<authorityEnd where bytes[k] == UInt8(ascii: "@") { hostStart = k + 1 }
        var hostEnd = authorityEnd
        if hostStart < authorityEnd && bytes[hostStart] == UInt8(ascii: "[") {
            // IPv6 literal: the host runs to the closing bracket.
            guard let close = (hostStart..<authorityEnd).first(where: { bytes[$0] == UInt8(ascii: "]") }) else {
                return nil
            }
            hostEnd = close + 1
            if hostEnd < authorityEnd && bytes[hostEnd] != UInt8(ascii: ":") { return nil }
        } else if let colon = (hostStart..<authorityEnd).first(where: { bytes[$0] == UInt8(ascii: ":") }) {
            hostEnd = colon
        }
        if hostEnd < authorityEnd {
            // Port: digits only.
            for k in (hostEnd + 1)..<authorityEnd where bytes[k] &- UInt8(ascii: "0") >= 10 { return nil }
        }
        guard hostEnd > hostStart else { return nil }
        let pathStart = authorityEnd
        var pathEnd = pathStart
        while pathEnd < n, bytes[pathEnd] != UInt8(ascii: "?"), bytes[pathEnd] != UInt8(ascii: "#") { pathEnd += 1 }
        return EventURL(
            host: UnsafeRawBufferPointer(rebasing: bytes[hostStart..<hostEnd]),
            path: UnsafeRawBufferPointer(rebasing: bytes[pathStart..<pathEnd]))
    }

    /// Whether a given `hostname` names the same host: ASCII letters compare without case, every
    /// other byte exactly.
    func hostMatches(_ hostname: UnsafeRawBufferPointer) -> Bool {
        guard hostname.count == host.count else { return false }
        for k in 0..<host.count where host[k] != hostname[k] {
            let a = host[k] | 0x20
            guard a == hostname[k] | 0x20, a >= UInt8(ascii: "a"), a <= UInt8(ascii: "z") else { return false }
        }
        return true
    }

    /// Whether a given `pathname` is the URL's path (an empty path reads as `/`).
    func pathMatches(_ pathname: UnsafeRawBufferPointer) -> Bool {
        if path.count == 0 { return pathname.count == 1 && pathname[0] == UInt8(ascii: "/") }
        return path.sameBytes(as: pathname)
    }
}
