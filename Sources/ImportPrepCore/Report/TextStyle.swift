/// How text reports mark errors and warnings: plain, or in ANSI colour on a terminal
/// (`--color`, `NO_COLOR`). Only codes and their counts are coloured, so a coloured report
/// reads the same as a plain one with the escape codes taken out.
public struct TextStyle: Sendable, Equatable {
    public var colour: Bool

    public static let plain = TextStyle(colour: false)
    public static let colour = TextStyle(colour: true)

    public func error(_ text: String) -> String { colour ? "\u{1B}[31m" + text + "\u{1B}[0m" : text }
    public func warning(_ text: String) -> String { colour ? "\u{1B}[33m" + text + "\u{1B}[0m" : text }
    public func good(_ text: String) -> String { colour ? "\u{1B}[32m" + text + "\u{1B}[0m" : text }
}
