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
        case empty, dateOnly, notDateTime, badDate, badTime, badFraction, badOffset, trailing, outOfRange

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
            case .outOfRange: "it falls outside the years 0001-9999 once its offset is applied (in UTC)"
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
        guard year >= 1, month >= 1, month <= 12, day >= 1, day <= daysIn(month: month, year: year) else {
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
        let time = Timestamp(
            year: year, month: month, day: day, hour: hour, minute: minute, second: second,
            nanoseconds: nanos, offsetMinutes: offset)
        // Only the first and last day of the range can leave it once the offset is applied.
        if offset != nil && (year == 1 || year == 9999) {
            let utcYear = time.inUTC.year
            guard utcYear >= 1 && utcYear <= 9999 else { return .failure(.outOfRange) }
        }
        return .success(time)
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

/// Units `convert --epoch` reads epoch numbers in; `auto` decides by the number of digits.
public enum EpochUnit: String, CaseIterable, Sendable {
    case auto, s, ms, us
}

extension Timestamp {
    /// The same instant in UTC, with no offset.
    public var inUTC: Timestamp {
        guard let offset = offsetMinutes, offset != 0 else {
            var copy = self
            copy.offsetMinutes = nil
            return copy
        }
        let seconds = Self.daysFromCivil(year, month, day) * 86_400 + hour * 3_600 + minute * 60 + second - offset * 60
        return Self(epochSeconds: seconds, nanoseconds: nanoseconds)
    }

    init(epochSeconds: Int, nanoseconds: Int) {
        let days = epochSeconds >= 0 ? epochSeconds / 86_400 : (epochSeconds - 86_399) / 86_400
        let secondOfDay = epochSeconds - days * 86_400
        let (y, m, d) = Self.civilFromDays(days)
        self.init(
            year: y, month: m, day: d, hour: secondOfDay / 3_600, minute: secondOfDay / 60 % 60,
            second: secondOfDay % 60, nanoseconds: nanoseconds, offsetMinutes: nil)
    }

    /// Reads an epoch number (`1722157200`, `1722157200123`, `1722157200.5`) in `unit`.
    /// Nil when it is not a plain non-negative decimal number or falls outside years 1–9999.
    public static func fromEpoch(_ text: UnsafeRawBufferPointer, unit: EpochUnit) -> Timestamp? {
        fromEpoch(text, unit: unit, nanosecondsPastMicroseconds: false)
    }

    /// With `nanosecondsPastMicroseconds`, `auto` reads 18 and 19 digits as nanoseconds (the
    /// vendor presets' rule: below 10^11 seconds, 10^14 milliseconds, 10^17 microseconds).
    static func fromEpoch(_ text: UnsafeRawBufferPointer, unit: EpochUnit, nanosecondsPastMicroseconds: Bool)
        -> Timestamp?
    {
        var integerDigits = 0
        var value = 0
        var i = 0
        while i < text.count, text[i] &- UInt8(ascii: "0") < 10 {
            guard integerDigits < (nanosecondsPastMicroseconds ? 19 : 18) else { return nil }
            let (times10, overflow) = value.multipliedReportingOverflow(by: 10)
            guard !overflow else { return nil }
            value = times10 + Int(text[i] &- UInt8(ascii: "0"))
            integerDigits += 1
            i += 1
        }
        guard integerDigits > 0 else { return nil }
        var fraction = 0  // nanoseconds of one unit, scaled to 9 digits
        if i < text.count {
            guard text[i] == UInt8(ascii: "."), i + 1 < text.count else { return nil }
            i += 1
            var digits = 0
            while i < text.count, text[i] &- UInt8(ascii: "0") < 10 {
                if digits < 9 { fraction = fraction * 10 + Int(text[i] &- UInt8(ascii: "0")) }
                digits += 1
                i += 1
            }
            guard i == text.count else { return nil }
            for _ in min(digits, 9)..<9 { fraction *= 10 }
        }
        let perSecond: Int
        switch unit {
        case .s: perSecond = 1
        case .ms: perSecond = 1_000
        case .us: perSecond = 1_000_000
        case .auto:
            switch integerDigits {
            case ...11: perSecond = 1
            case 12...14: perSecond = 1_000
            case 15...17: perSecond = 1_000_000
            case 18...19 where nanosecondsPastMicroseconds: perSecond = 1_000_000_000
            default: return nil
            }
        }
        let seconds = value / perSecond
        let nanos = (value % perSecond) * (1_000_000_000 / perSecond) + fraction / perSecond
        let result = Timestamp(epochSeconds: seconds, nanoseconds: nanos)
        return result.year >= 1 && result.year <= 9999 ? result : nil
    }

    /// Orders timestamps as their normalized text does (fields as written, microseconds).
    var orderKey: Int {
        let date = (year * 13 + month) * 32 + day
        return ((date * 24 + hour) * 3_600 + minute * 60 + second) * 1_000_000 + nanoseconds / 1_000
    }

    /// Days since 1970-01-01 in the proleptic Gregorian calendar (H. Hinnant's algorithm).
    static func daysFromCivil(_ y: Int, _ m: Int, _ d: Int) -> Int {
        let year = m <= 2 ? y - 1 : y
        let era = (year >= 0 ? year : year - 399) / 400
        let yoe = year - era * 400
        let doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func civilFromDays(_ days: Int) -> (Int, Int, Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }
}
