import ArgumentParser
import Dispatch
import Foundation
import ImportPrepCore

#if canImport(Glibc)
    import Glibc
#endif

/// `--progress`/`--no-progress` and `--color`, for the commands that read files.
struct TerminalOptions: ParsableArguments {
    @Flag(
        inversion: .prefixedNo,
        help: "A progress line on standard error (default: on when it is a terminal and CI is not true).")
    var progress: Bool? = nil

    @Option(help: "Colour the report: auto (on a terminal, unless NO_COLOR is set), always or never.")
    var color: ColorChoice = .auto

    enum ColorChoice: String, ExpressibleByArgument, CaseIterable { case auto, always, never }

    /// Whether a progress line is drawn while reading `files`.
    var showsProgress: Bool {
        if let progress { return progress }
        return isatty(2) == 1 && ProcessInfo.processInfo.environment["CI"] != "true"
    }

    /// How text written to `descriptor` is styled.
    func style(for descriptor: Int32) -> TextStyle {
        switch color {
        case .always: return .colour
        case .never: return .plain
        case .auto:
            let noColor = ProcessInfo.processInfo.environment["NO_COLOR"].map { !$0.isEmpty } ?? false
            return isatty(descriptor) == 1 && !noColor ? .colour : .plain
        }
    }

    /// A progress line for reading `files`, or nil when none is shown.
    func progressLine(command: String, flaggedWord: String, files: [String]) -> ProgressLine? {
        guard showsProgress else { return nil }
        let sizes = files.map { file -> Int? in
            guard file != "-", let size = ByteSource.probe(path: file)?.regularFileSize else { return nil }
            return size
        }
        return ProgressLine(ProgressText(command: command, flaggedWord: flaggedWord, files: files, sizes: sizes))
    }
}

/// The progress line on standard error: drawn when a file starts and four times a second from
/// `RunProgress`'s counters, rewritten in place, and cleared before the summary prints.
final class ProgressLine: @unchecked Sendable {
    private let text: ProgressText
    private let lock = NSLock()
    private let timer = DispatchSource.makeTimerSource(queue: DispatchQueue(label: "import-prep.progress"))
    private let started = ContinuousClock.now
    private let startCounts = RunProgress.shared.counts
    private var file = 0
    private var fileStartBytes = 0
    private var running = false
    private var resumed = false

    init(_ text: ProgressText) {
        self.text = text
        timer.schedule(deadline: .now() + .milliseconds(250), repeating: .milliseconds(250))
        timer.setEventHandler { [weak self] in self?.draw() }
    }

    /// File `index` of the list starts: drawn at once.
    func begin(file index: Int) {
        lock.lock()
        file = index
        fileStartBytes = RunProgress.shared.counts.bytes
        running = true
        let first = !resumed
        resumed = true
        lock.unlock()
        if first { timer.resume() }
        draw()
    }

    /// Stops drawing and clears the line.
    func end() {
        lock.lock()
        defer { lock.unlock() }
        guard running else { return }
        running = false
        timer.cancel()
        FileHandleOutput.standardError("\r\u{1B}[K")
    }

    deinit {
        // A dispatch source released while suspended traps.
        if !resumed { timer.resume() }
        timer.cancel()
    }

    private func draw() {
        lock.lock()
        defer { lock.unlock() }
        guard running else { return }
        let now = RunProgress.shared.counts
        let counts = now.since(startCounts)
        let elapsed = ContinuousClock.now - started
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let line = text.line(
            file: file, fileBytes: now.bytes - fileStartBytes, counts: counts, seconds: seconds,
            width: Self.terminalWidth() - 1)
        FileHandleOutput.standardError("\r\u{1B}[K" + line)
    }

    private static func terminalWidth() -> Int {
        var size = winsize()
        guard ioctl(2, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 else { return 80 }
        return Int(size.ws_col)
    }
}
