import Testing

@_spi(Testing) @testable import ImportPrepCore

@Suite struct TimestampTests {
    func parse(_ text: String) -> Result<Timestamp, Timestamp.Failure> {
        Array(text.utf8).withUnsafeBytes { Timestamp.parse($0) }
    }

    @Test(arguments: [
        "2024-07-28T08:55:35", "2024-07-28 08:55:35", "2024-07-28 08:55:35.874555", "2024-07-28T08:55:35.1",
        "2024-07-28T08:55:35.123456789", "2024-07-28T08:55:35Z", "2024-07-28T08:55:35.5Z", "2024-02-29T00:00:00",
        "2000-02-29T23:59:59", "2024-12-31T23:59:59+05:30", "2024-01-01T00:00:00-0800",
    ])
    func accepts(text: String) {
        #expect((try? parse(text).get()) != nil, "\(text)")
    }

    @Test(arguments: [
        ("", Timestamp.Failure.empty), ("2024-07-28", .dateOnly), ("28/07/2024", .notDateTime),
        ("yesterday", .notDateTime),
        ("1722157200", .notDateTime), ("2024-02-30T10:00:00", .badDate), ("2023-02-29T10:00:00", .badDate),
        ("1900-02-29T10:00:00", .badDate), ("2024-13-01T10:00:00", .badDate), ("2024-04-31T10:00:00", .badDate),
        ("2024-07-28T24:00:00", .badTime), ("2024-07-28T10:60:00", .badTime), ("2024-07-28T10:00:60", .badTime),
        ("2024-07-28T10:00", .badTime), ("2024-07-28T10:00:00.", .badFraction),
        ("2024-07-28T10:00:00.1234567890", .badFraction),
        ("2024-07-28T10:00:00+5", .badOffset), ("2024-07-28T10:00:00+25:00", .badOffset),
        ("2024-07-28T10:00:00 UTC", .trailing),
        ("2024-07-28X10:00:00", .trailing), ("2024-07-28T10:00:00Zjunk", .trailing),
    ])
    func rejects(text: String, failure: Timestamp.Failure) {
        #expect(parse(text) == .failure(failure), "\(text)")
    }

    @Test func readsComponentsAndOffsets() throws {
        let t = try parse("2024-12-31 23:59:58.25-02:30").get()
        #expect([t.year, t.month, t.day, t.hour, t.minute, t.second] == [2024, 12, 31, 23, 59, 58])
        #expect(t.nanoseconds == 250_000_000)
        #expect(t.offsetMinutes == -150)
        #expect(try parse("2024-12-31T23:59:58Z").get().offsetMinutes == nil)
        #expect(try parse("2024-12-31T23:59:58+0100").get().offsetMinutes == 60)
    }
}

@Suite struct EventURLTests {
    func parse(_ text: String) -> (host: String, path: String)? {
        Array(text.utf8).withUnsafeBytes { bytes in
            EventURL.parse(bytes).map {
                (String(decoding: $0.host, as: UTF8.self), String(decoding: $0.path, as: UTF8.self))
            }
        }
    }

    @Test func derivesHostAndPath() {
        #expect(parse("https://app.acme.example/reports?x=1#top")! == ("app.acme.example", "/reports"))
        #expect(parse("http://user:pw@acme.example:8080/a/b")! == ("acme.example", "/a/b"))
        #expect(parse("HTTPS://acme.example")! == ("acme.example", ""))
        #expect(parse("https://[::1]:443/x")! == ("[::1]", "/x"))
    }

    @Test(arguments: [
        "acme.example/pricing", "ftp://acme.example/", "https:///path", "https://", "https://acme .example/",
        "/relative", "https://acme.example:80x/",
    ])
    func rejects(text: String) {
        #expect(parse(text) == nil, "\(text)")
    }

    /// The presets' epoch rule: the unit by magnitude, nanoseconds included, in integer arithmetic.
    @Test(arguments: [
        ("1602611311", "2020-10-13T17:48:31.000000"), ("99999999999", "5138-11-16T09:46:39.000000"),
        ("1602611311123", "2020-10-13T17:48:31.123000"), ("1602611311123456", "2020-10-13T17:48:31.123456"),
        ("1602611311123456789", "2020-10-13T17:48:31.123456"),
        ("2024-05-01 12:00:00+02:00", "2024-05-01T10:00:00.000000"),
    ])
    func vendorTimesByMagnitude(text: String, expected: String) throws {
        let time = try #require(Timestamp.vendorTime(text))
        let out = LineBuffer()
        time.appendNormalized(to: out)
        #expect(String(decoding: out.bytes, as: UTF8.self) == expected)
    }

    @Test(arguments: [
        ("0001-02-03T04:05:06.000007Z", "0001-02-03T04:05:06.000007"),
        ("9999-12-31T23:59:59.999999999Z", "9999-12-31T23:59:59.999999"),
        ("2024-10-09 08:07:06.5", "2024-10-09T08:07:06.500000"),
        ("0999-01-01T00:00:00.000010", "0999-01-01T00:00:00.000010"),
    ])
    func normalizedTextAtTheEdgesOfEachField(text: String, expected: String) throws {
        let time = try Array(text.utf8).withUnsafeBytes { Timestamp.parse($0) }.get()
        let out = LineBuffer()
        out.append(UInt8(ascii: "["))
        time.appendNormalized(to: out)
        out.append(UInt8(ascii: "]"))
        #expect(String(decoding: out.bytes, as: UTF8.self) == "[\(expected)]")
    }

    /// Every value each field can hold, written as parsed: the digit pairs come from a
    /// multiplication and a shift, so each of 0-99 is checked at each place.
    @Test func everyValueOfEveryFieldIsWrittenAsParsed() throws {
        func pad(_ value: Int, _ width: Int) -> String {
            String(repeating: "0", count: width - String(value).count) + String(value)
        }
        var texts: [String] = []
        for v in 0..<100 {
            let year = pad(max(1, v * 100 + (99 - v)), 4)
            let fraction = pad(v * 10_000 + (99 - v) * 100 + v, 6)
            texts.append(
                "\(year)-\(pad(v % 12 + 1, 2))-\(pad(v % 28 + 1, 2))T\(pad(v % 24, 2)):\(pad(v % 60, 2)):\(pad((v + 7) % 60, 2)).\(fraction)"
            )
        }
        for text in texts {
            let time = try Array(text.utf8).withUnsafeBytes { Timestamp.parse($0) }.get()
            let out = LineBuffer()
            time.appendNormalized(to: out)
            #expect(String(decoding: out.bytes, as: UTF8.self) == text)
        }
    }

    @Test func aVendorTimeThatOverflowsIsNone() {
        #expect(Timestamp.vendorTime("99999999999999999999") == nil)
        #expect(Timestamp.vendorTime("yesterday") == nil)
    }
}
