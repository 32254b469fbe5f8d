import ImportPrepCore
import Testing

/// The progress line's text: which file, how far, how fast, how many, how long still.
@Suite struct ProgressTextTests {
    let two = ProgressText(
        command: "convert", flaggedWord: "rejected", files: ["in/a.ndjson", "b.csv"], sizes: [10_000_000, 2_000_000])

    @Test func showsFileSizeShareRateCountsAndTimeLeft() {
        let counts = RunProgress.Counts(bytes: 4_000_000, records: 1_234_567, flagged: 3)
        let line = two.line(file: 0, fileBytes: 4_000_000, counts: counts, seconds: 2, width: 200)
        #expect(line == "convert 1/2 a.ndjson · 40% of 10.0 MB · 2 MB/s · 1,234,567 records · 3 rejected · ETA 0:04")
    }

    @Test func withoutATotalOnlyBytesAndNoTimeLeft() {
        let stdin = ProgressText(command: "validate", flaggedWord: "invalid", files: ["-"], sizes: [nil])
        let counts = RunProgress.Counts(bytes: 3_500_000, records: 10, flagged: 0)
        #expect(
            stdin.line(file: 0, fileBytes: 3_500_000, counts: counts, seconds: 1, width: 200)
                == "validate standard input · 3.5 MB · 4 MB/s · 10 records")
    }

    @Test func fitsTheTerminalWidth() {
        let long = ProgressText(
            command: "validate", flaggedWord: "invalid", files: [String(repeating: "x", count: 90) + ".ndjson"],
            sizes: [1_000])
        let counts = RunProgress.Counts(bytes: 500, records: 5, flagged: 1)
        let line = long.line(file: 0, fileBytes: 500, counts: counts, seconds: 0.5, width: 60)
        #expect(line.count <= 60)
        #expect(line.hasPrefix("validate xxx"))
        #expect(line.contains("…"))
        #expect(line.hasSuffix("50% · 1 KB/s · 5 records · 1 invalid"))
    }

    @Test func clockAndGrouping() {
        #expect(ProgressText.clockText(75) == "1:15")
        #expect(ProgressText.clockText(3_700) == "1:01:40")
        #expect(ProgressText.groupedText(1_000) == "1,000")
        #expect(ProgressText.groupedText(999) == "999")
    }
}
