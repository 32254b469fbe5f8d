/// What `import-prep explain CODE` says about a code: what it means, the rule it comes from, a
/// bad and a fixed example, and what `convert` does about it. Every error, warning, skip reason
/// and profile finding has one (a test runs each example and checks that the bad one raises the
/// code and the fixed one does not).
public struct Explanation: Sendable {
    public enum Kind: String, Sendable {
        case error, warning
        case skipReason = "skip reason"
        case finding = "profile finding"
    }

    public var code: String
    public var kind: Kind
    public var meaning: String
    /// The rule and where it is written down.
    public var rule: String
    /// The command the examples are checked with (`validate`, `validate --from mixpanel`, `profile`).
    public var command: [String]
    /// The example's file extension (`ndjson`, `csv`, `json`).
    public var fileExtension: String
    /// Lines of the example file. `\xFF` stands for the byte 0xFF (for invalid UTF-8).
    public var bad: [String]
    public var fixed: [String]
    public var convert: String

    /// The example's bytes, `\xHH` turned into the byte it names.
    public static func bytes(_ lines: [String]) -> [UInt8] {
        var out: [UInt8] = []
        for line in lines {
            let b = Array(line.utf8)
            var i = 0
            while i < b.count {
                if b[i] == UInt8(ascii: "\\"), i + 3 < b.count, b[i + 1] == UInt8(ascii: "x"),
                    let byte = UInt8(String(decoding: b[(i + 2)...(i + 3)], as: UTF8.self), radix: 16)
                {
                    out.append(byte)
                    i += 4
                } else {
                    out.append(b[i])
                    i += 1
                }
            }
            out.append(0x0A)
        }
        return out
    }

    /// The text `import-prep explain CODE` prints.
    public var text: String {
        let severity =
            kind == .finding ? FindingCode(rawValue: code).map { ", severity \($0.severity.rawValue)" } ?? "" : ""
        var out = "\(code) (\(kind.rawValue)\(severity))\n\n\(meaning)\n\nRule: \(rule)\n"
        let checked = (["import-prep"] + command + ["example.\(fileExtension)"]).joined(separator: " ")
        out += "\nBad (\(checked)):\n" + Self.shown(bad)
        out += "\nFixed:\n" + Self.shown(fixed)
        out += "\nconvert: \(convert)\n"
        return out
    }

    /// Example lines, indented; a long run of lines shows its first and last three.
    private static func shown(_ lines: [String]) -> String {
        let indented = lines.map { "  " + $0 + "\n" }
        guard lines.count > 8 else { return indented.joined() }
        return indented.prefix(3).joined() + "  … \(lines.count - 6) more lines like these\n"
            + indented.suffix(3).joined()
    }

    /// The list `import-prep explain` prints: every code with its kind and a line of meaning.
    public static var list: String {
        var out = ""
        for kind in [Kind.error, .warning, .skipReason, .finding] {
            let title =
                switch kind {
                case .error: "Errors (the record would fail the import)"
                case .warning: "Warnings (the record is still valid)"
                case .skipReason: "Skip reasons (--from, --map: vendor records left out, counted)"
                case .finding: "Profile findings (import-prep profile)"
                }
            out += title + ":\n"
            for entry in all where entry.kind == kind {
                let first = entry.meaning.split(separator: ".", maxSplits: 1).first.map(String.init) ?? entry.meaning
                out += "  " + entry.code.padding(toLength: 27, withPad: " ", startingAt: 0) + first + "\n"
            }
            out += "\n"
        }
        return out + "import-prep explain CODE shows one in full.\n"
    }

    /// The entries of `code` (duplicate_event is both a skip reason and a finding).
    public static func named(_ code: String) -> [Explanation] { all.filter { $0.code == code } }

    public static let all: [Explanation] = errors + warnings + skipReasons + findings
}
