/// The progress line's text (issue 16): which file of how many, bytes read of its size, the rate,
/// records, the invalid or rejected ones, and the time left at this run's pace.
public struct ProgressText: Sendable {
    /// `validate`, `convert`, … as the line starts.
    public var command: String
    /// What a flagged record is called: "invalid" (validate, profile) or "rejected" (convert, split).
    public var flaggedWord: String
    public var files: [String]
    /// Each file's size when it is a regular file (a gzip file's compressed size); nil otherwise.
    public var sizes: [Int?]

    public init(command: String, flaggedWord: String, files: [String], sizes: [Int?]) {
        self.command = command
        self.flaggedWord = flaggedWord
        self.files = files
        self.sizes = sizes
    }

    /// The line for file `index`, `fileBytes` of it read, `counts` since the run began,
    /// `seconds` after it began. At most `width` characters.
    public func line(file index: Int, fileBytes: Int, counts: RunProgress.Counts, seconds: Double, width: Int)
        -> String
    {
        var parts: [String] = []
        let rate = seconds > 0.05 ? Double(counts.bytes) / seconds : 0
        if let size = sizes[index], size > 0 {
            let done = min(fileBytes, size)
            parts.append("\(done * 100 / size)%")
        } else {
            parts.append(ReportRenderer.byteCount(fileBytes))
        }
        if rate > 0 { parts.append(Self.rate(rate)) }
        parts.append("\(Self.groupedText(counts.records)) records")
        if counts.flagged > 0 { parts.append("\(Self.groupedText(counts.flagged)) \(flaggedWord)") }
        if rate > 0, seconds >= 1, let left = bytesLeft(file: index, fileBytes: fileBytes) {
            parts.append("ETA \(Self.clockText(Double(left) / rate))")
        }
        var rest = " · " + parts.joined(separator: " · ")
        let which = files.count > 1 ? "\(index + 1)/\(files.count) " : ""
        var name = files[index] == "-" ? "standard input" : String(files[index].split(separator: "/").last ?? "")
        if let size = sizes[index], size > 0,
            command.count + which.count + name.count + rest.count + 12 <= width
        {
            // The file's size, where there is room for it.
            parts[0] += " of " + ReportRenderer.byteCount(size)
            rest = " · " + parts.joined(separator: " · ")
        }
        let room = width - command.count - 1 - which.count - rest.count
        if name.count > max(room, 12) {
            let keep = max(room, 12) - 1
            name = String(name.prefix(keep - keep / 2)) + "…" + String(name.suffix(keep / 2))
        }
        let text = command + " " + which + name + rest
        return text.count <= width ? text : String(text.prefix(max(0, width - 1))) + "…"
    }

    /// 704,312,000 bytes a second as "704 MB/s".
    static func rate(_ bytesPerSecond: Double) -> String {
        let units = ["B/s", "KB/s", "MB/s", "GB/s"]
        var value = bytesPerSecond
        var unit = 0
        while value >= 1000 && unit < units.count - 1 {
            value /= 1000
            unit += 1
        }
        return "\(Int(value.rounded())) \(units[unit])"
    }

    /// Bytes left in this file and the ones after it, when every one of their sizes is known.
    private func bytesLeft(file index: Int, fileBytes: Int) -> Int? {
        var left = 0
        for later in index..<files.count {
            guard let size = sizes[later] else { return nil }
            left += later == index ? max(0, size - fileBytes) : size
        }
        return left
    }

    /// 1234567 as "1,234,567".
    public static func groupedText(_ n: Int) -> String {
        let digits = String(n)
        var out = ""
        for (i, c) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return out
    }

    /// 75 seconds as "1:15", 3,700 as "1:01:40".
    public static func clockText(_ seconds: Double) -> String {
        guard seconds.isFinite else { return "?" }
        let s = Int(seconds.rounded(.up))
        let minutesAndSeconds = "\(s / 60 % 60):" + (s % 60 < 10 ? "0" : "") + "\(s % 60)"
        return s >= 3600 ? "\(s / 3600):" + (s / 60 % 60 < 10 ? "0" : "") + minutesAndSeconds : minutesAndSeconds
    }
}
