/// The one text `convert` writes for a timestamp (SPEC §6), kept with the writers so that the
/// schema does not depend on the output buffer.
extension Timestamp {
    /// Writes `YYYY-MM-DDTHH:MM:SS.ffffff` (26 bytes; the fraction cut, not rounded, to microseconds).
    func appendNormalized(to out: LineBuffer) {
        @inline(__always) func digits(_ value: Int, _ count: Int) {
            var divisor = 1
            for _ in 1..<count { divisor *= 10 }
            var v = value
            for _ in 0..<count {
                out.append(UInt8(ascii: "0") + UInt8(v / divisor % 10))
                v %= divisor
                divisor = max(divisor / 10, 1)
            }
        }
        digits(year, 4)
        out.append(UInt8(ascii: "-"))
        digits(month, 2)
        out.append(UInt8(ascii: "-"))
        digits(day, 2)
        out.append(UInt8(ascii: "T"))
        digits(hour, 2)
        out.append(UInt8(ascii: ":"))
        digits(minute, 2)
        out.append(UInt8(ascii: ":"))
        digits(second, 2)
        out.append(UInt8(ascii: "."))
        digits(nanoseconds / 1_000, 6)
    }
}
