/// The one text `convert` writes for a timestamp (SPEC §6), kept with the writers so that the
/// schema does not depend on the output buffer.
extension Timestamp {
    /// Writes `YYYY-MM-DDTHH:MM:SS.ffffff` (26 bytes; the fraction cut, not rounded, to microseconds).
    func appendNormalized(to out: LineBuffer) {
        // Two digits at a time, one 16-bit store each; tens by a multiplication and a shift
        // ((v * 103) >> 10 is v / 10 for v < 100), in unsigned arithmetic. The fields are in range
        // (years 1-9999, a fraction under a second), as `Timestamp.parse` leaves them.
        let micros = UInt(truncatingIfNeeded: nanoseconds) / 1_000
        let year = UInt(truncatingIfNeeded: year)
        out.append(count: 26) { p in
            @inline(__always) func two(_ value: UInt, at offset: Int) {
                let v = UInt32(truncatingIfNeeded: value % 100)
                let tens = (v &* 103) >> 10
                let ones = v &- tens &* 10
                let digits = UInt16(truncatingIfNeeded: (0x30 | tens) | (0x30 | ones) << 8)
                p.storeBytes(of: digits.littleEndian, toByteOffset: offset, as: UInt16.self)
            }
            @inline(__always) func mark(_ byte: UInt8, at offset: Int) {
                p.storeBytes(of: byte, toByteOffset: offset, as: UInt8.self)
            }
            two(year / 100, at: 0)
            two(year, at: 2)
            mark(UInt8(ascii: "-"), at: 4)
            two(UInt(truncatingIfNeeded: month), at: 5)
            mark(UInt8(ascii: "-"), at: 7)
            two(UInt(truncatingIfNeeded: day), at: 8)
            mark(UInt8(ascii: "T"), at: 10)
            two(UInt(truncatingIfNeeded: hour), at: 11)
            mark(UInt8(ascii: ":"), at: 13)
            two(UInt(truncatingIfNeeded: minute), at: 14)
            mark(UInt8(ascii: ":"), at: 16)
            two(UInt(truncatingIfNeeded: second), at: 17)
            mark(UInt8(ascii: "."), at: 19)
            two(micros / 10_000, at: 20)
            two(micros / 100, at: 22)
            two(micros, at: 24)
        }
    }
}
