/// An `inserted_at` value read by the grammar of SPEC §3:
/// `YYYY-MM-DD(T| )HH:MM:SS[.f{1,9}][Z|±HH:MM|±HHMM]`, with the calendar checked.
public struct Timestamp: Equatable, Sendable {
    public var year, month, day, hour, minute, second: Int
    /// Fraction in nanoseconds (1 to 9 digits given, padded).
    public var nanoseconds: Int
    /// Offset east of UTC in minutes, when one was written (`Z` counts as 0 and is not an offset).
    public var offsetMinutes: Int?

    /// Why a text is not a timestamp; the message says what was expected.
    public enum Failure: Error, Equatable, Sendable {
        case empty, dateOnly, notDateTime, badDate, badTime, badFraction, badOffset, trailing

        public var explanation: String {
            switch self {
            case .empty: "it is empty"
            case .dateOnly: "it has a date but no time"
            case .notDateTime: "it does not start with YYYY-MM-DD"
            case .badDate: "that date does not exist"
            case .badTime: "the time must be HH:MM:SS with hours 00-23 and minutes and seconds 00-59"
            case .badFraction: "the fraction of a second must have 1 to 9 digits"
            case .badOffset: "the zone must be Z, ±HH:MM or ±HHMM"
            case .trailing: "unexpected characters after the time"
            }
        }
    }

    public static func parse(_ s: UnsafeRawBufferPointer) -> Result<Timestamp, Failure> {
        let n = s.count
        if n == 0 { return .failure(.empty) }
        @inline(__always) func digits(_ at: Int, _ count: Int) -> Int? {
            guard at + count <= n else { return nil }
            var v = 0
            for k in at..<(at + count) {
                let d = s[k] &- UInt8(ascii: "0")
                guard d < 10 else { return nil }
                v = v * 10 + Int(d)
            }
            return v
        }
        guard let year = digits(0, 4), n > 4, s[4] == UInt8(ascii: "-"), let month = digits(5, 2),
            n > 7, s[7] == UInt8(ascii: "-"), let day = digits(8, 2)
        else { return .failure(.notDateTime) }
        guard month >= 1, month <= 12, day >= 1, day <= daysIn(month: month, year: year) else {
            return .failure(.badDate)
        }
        if n == 10 { return .failure(.dateOnly) }
        guard s[10] == UInt8(ascii: "T") || s[10] == UInt8(ascii: " ") else { return .failure(.trailing) }
        guard let hour = digits(11, 2), n > 13, s[13] == UInt8(ascii: ":"), let minute = digits(14, 2),
            n > 16, s[16] == UInt8(ascii: ":"), let second = digits(17, 2)
        else { return .failure(.badTime) }
        guard hour <= 23, minute <= 59, second <= 59 else { return .failure(.badTime) }
        var i = 19
        var nanos = 0
        if i < n && s[i] == UInt8(ascii: ".") {
            i += 1
            var count = 0
            while i < n, s[i] &- UInt8(ascii: "0") < 10 {
                count += 1
                if count > 9 { return .failure(.badFraction) }
                nanos = nanos * 10 + Int(s[i] &- UInt8(ascii: "0"))
                i += 1
            }
            guard count >= 1 else { return .failure(.badFraction) }
            for _ in count..<9 { nanos *= 10 }
        }
        var offset: Int? = nil
        if i < n {
            let c = s[i]
            if c == UInt8(ascii: "Z") {
                i += 1
            } else if c == UInt8(ascii: "+") || c == UInt8(ascii: "-") {
                guard let oh = digits(i + 1, 2) else { return .failure(.badOffset) }
                var om: Int?
                if i + 3 < n && s[i + 3] == UInt8(ascii: ":") {
                    om = digits(i + 4, 2)
                    i += 6
                } else {
                    om = digits(i + 3, 2)
                    i += 5
                }
                guard let om, oh <= 23, om <= 59 else { return .failure(.badOffset) }
                offset = (oh * 60 + om) * (c == UInt8(ascii: "-") ? -1 : 1)
            } else {
                return .failure(.trailing)
            }
        }
        guard i == n else { return .failure(.trailing) }
        return .success(
            Timestamp(
                year: year, month: month, day: day, hour: hour, minute: minute, second: second,
                nanoseconds: nanos, offsetMinutes: offset))
    }

    public static func isLeap(_ year: Int) -> Bool { year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) }

    public static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }
}
