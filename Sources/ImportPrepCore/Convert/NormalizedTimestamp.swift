/// The one text `convert` writes for a timestamp (SPEC §6), kept with the writers so that the
/// schema does not depend on the output buffer.
extension Timestamp {
    /// Writes `YYYY-MM-DDTHH:MM:SS.ffffff` (26 bytes; the fraction cut, not rounded, to microseconds).
    func appendNormalized(to out: LineBuffer) {
        // Two digits at a time, divided by constants (multiplications); the fields are in range
        // (years 1-9999, a fraction under a second), as `Timestamp.parse` leaves them.
        let micros = nanoseconds / 1_000
        out.append(count: 26) { p in
            @inline(__always) func two(_ value: Int, at offset: Int) {
                p.storeBytes(of: UInt8(truncatingIfNeeded: 0x30 &+ value / 10), toByteOffset: offset, as: UInt8.self)
                p.storeBytes(
                    of: UInt8(truncatingIfNeeded: 0x30 &+ value % 10), toByteOffset: offset &+ 1, as: UInt8.self)
            }
            @inline(__always) func mark(_ byte: UInt8, at offset: Int) {
                p.storeBytes(of: byte, toByteOffset: offset, as: UInt8.self)
            }
            two(year / 100 % 100, at: 0)
            two(year % 100, at: 2)
            mark(UInt8(ascii: "-"), at: 4)
            two(month % 100, at: 5)
            mark(UInt8(ascii: "-"), at: 7)
            two(day % 100, at: 8)
            mark(UInt8(ascii: "T"), at: 10)
            two(hour % 100, at: 11)
            mark(UInt8(ascii: ":"), at: 13)
            two(minute % 100, at: 14)
            mark(UInt8(ascii: ":"), at: 16)
            two(second % 100, at: 17)
            mark(UInt8(ascii: "."), at: 19)
            two(micros / 10_000 % 100, at: 20)
            two(micros / 100 % 100, at: 22)
            two(micros % 100, at: 24)
        }
    }
}
