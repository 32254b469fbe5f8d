import Foundation
import ImportPrepTestSupport
import Testing

@testable import ImportPrepCore

/// Reading a file in blocks on several cores gives exactly the report of one sequential pass:
/// the same counts, the same errors shown, and the same `--errors` stream byte for byte.
@Suite struct ParallelTests {
    func report(
        _ path: String, parallel: Bool, maxErrors: Int = .max, errors: String? = nil, errorBudget: Int = 20_000
    ) throws -> Validator {
        var options = ValidationOptions()
        options.parallel = parallel
        options.parallelThreshold = 0
        options.blockSize = 3_000
        options.blockErrorBudget = errorBudget
        options.maxErrors = maxErrors
        let stream = try errors.map { try OutputFile.create(path: $0) }
        let validator = Validator(options: options, errorStream: stream)
        validator.validate(path: path)
        validator.finish()
        return validator
    }

    /// Validates `path` both ways and expects the same summaries, errors shown and errors
    /// streamed; returns both.
    @discardableResult
    func expectSameReports(
        _ path: String, errorBudget: Int = 20_000, sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> (sequential: Validator, parallel: Validator) {
        let sequential = try report(path, parallel: false)
        let parallel = try report(path, parallel: true, errorBudget: errorBudget)
        #expect(sequential.filesReadInBlocks == 0, sourceLocation: sourceLocation)
        #expect(parallel.summaries == sequential.summaries, sourceLocation: sourceLocation)
        #expect(parallel.shownErrors == sequential.shownErrors, sourceLocation: sourceLocation)

        let folder = try ScratchFolder()
        let one = try report(path, parallel: false, maxErrors: 5, errors: folder.path("one.ndjson"))
        let blocks = try report(
            path, parallel: true, maxErrors: 5, errors: folder.path("blocks.ndjson"), errorBudget: errorBudget)
        #expect(blocks.shownErrors == one.shownErrors, sourceLocation: sourceLocation)
        #expect(blocks.summaries == one.summaries, sourceLocation: sourceLocation)
        let streamed = try folder.read("one.ndjson")
        #expect(try folder.read("blocks.ndjson") == streamed, sourceLocation: sourceLocation)
        #expect(streamed.filter { $0 == 0x0A }.count == sequential.total.errorCount, sourceLocation: sourceLocation)
        return (sequential, parallel)
    }

    @Test(arguments: [1, 2, 3, 4] as [UInt64])
    func blocksJoinToTheSequentialReport(seed: UInt64) throws {
        var generator = EventGenerator(seed: seed)
        let events = (0..<(200 + generator.next(400))).map { _ in generator.event() }
        var lines = generator.ndjson(events).split(separator: "\n").map(String.init)
        for k in stride(from: generator.next(7), to: lines.count, by: 1 + generator.next(9)) {
            switch generator.next(5) {
            case 0: lines[k] = ""
            case 1: lines[k] = String(lines[k].dropLast())
            case 2: lines[k] = lines[k].replacingOccurrences(of: "2024-", with: "2024/")
            case 3: lines[k] += "\r"
            default: lines[k] = "[" + lines[k] + "]"
            }
        }
        let text = (seed % 2 == 0 ? "\u{FEFF}" : "") + lines.joined(separator: "\n") + (seed == 3 ? "" : "\n")
        let folder = try ScratchFolder()
        let path = folder.path("blocks.ndjson")
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))

        let (sequential, parallel) = try expectSameReports(path)
        #expect(sequential.summaries[0].errorCount > 0)
        #expect(parallel.filesReadInBlocks == 1)
    }

    /// CSV with quoted newlines, quotes and commas, CRLF, a BOM and errors: the blocks (each after
    /// the first read after a copy of the header) join to the one-pass report.
    @Test(arguments: [1, 2, 3, 4] as [UInt64])
    func csvBlocksJoinToTheSequentialReport(seed: UInt64) throws {
        let text = BlockTestFiles.csvWithProblems(seed: seed)
        let folder = try ScratchFolder()
        let path = folder.path("blocks.csv")
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        #expect(text.contains("line one\nline two"))

        let (sequential, parallel) = try expectSameReports(path)
        #expect(sequential.summaries[0].errorCount > 0)
        #expect(parallel.filesReadInBlocks == 1)
    }

    /// A stray quote (an error libcsv recovers from at the end of its line) makes the quote count
    /// lie about where records start after it; the block before the misplaced cut then does not end
    /// between records, and the rest of the file is read on one core. The report is the one-pass report.
    @Test func aStrayQuoteCannotMisplaceACut() throws {
        let folder = try ScratchFolder()
        let path = folder.path("stray.csv")
        try Data(BlockTestFiles.csvWithStrayQuote().utf8).write(to: URL(fileURLWithPath: path))

        let (sequential, parallel) = try expectSameReports(path)
        #expect(sequential.summaries[0].count(.malformedCSV) >= 1)
        #expect(parallel.filesReadInBlocks == 1)
        #expect(parallel.oneCoreRests == 1)  // a cut was refused, and the rest read on one core
    }

    /// Blank lines before the header, a header with no problem but a quoted newline, or a header
    /// with a problem: each gives the one-pass report.
    @Test(arguments: ["\n\n", "quoted", "bad"])
    func unusualHeadersGiveTheOnePassReport(kind: String) throws {
        var generator = EventGenerator(seed: 5)
        let events = (0..<400).map { _ in generator.event() }
        var text = EventGenerator.csv(events)
        switch kind {
        case "quoted": text = "\"event\n_type\"" + text.dropFirst("event_type".count)
        case "bad": text = "event_type,event_type," + text
        default: text = kind + text
        }
        let folder = try ScratchFolder()
        let path = folder.path("header.csv")
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        try expectSameReports(path)
    }

    @Test func quotesAreCountedExactly() {
        for text in ["", "\"", "a\"b\"\"c", String(repeating: "\"x", count: 37), "no quotes at all here"] {
            let bytes = Array(text.utf8)
            let counted = bytes.withUnsafeBytes { CSVCutPoints.countQuotes($0) }
            #expect(counted == bytes.filter { $0 == UInt8(ascii: "\"") }.count)
        }
    }

    @Test func smallFilesStayOnOneCore() throws {
        let folder = try ScratchFolder()
        let path = folder.path("one.csv")
        try Data(try Data(contentsOf: Paths.samples.appendingPathComponent("errors.csv"))).write(
            to: URL(fileURLWithPath: path))
        var options = ValidationOptions()
        options.maxErrors = .max
        let validator = Validator(options: options)
        validator.validate(path: path)
        #expect(validator.filesReadInBlocks == 0)
        #expect(validator.summaries == (try report(path, parallel: false)).summaries)
    }

    /// A block with more errors than it may keep stops, and the rest of the file is read on one
    /// core: the stream of every error is still the one-pass stream, in bounded memory.
    @Test func blocksWithTooManyErrorsHandTheRestToOneCore() throws {
        var generator = EventGenerator(seed: 12)
        let events = (0..<600).map { _ in generator.event() }
        // Clean-ish for 300 lines (blocks handed over), then two errors on every line.
        let lines = generator.ndjson(events).split(separator: "\n").enumerated().map { k, line in
            k < 300
                ? String(line)
                : line.replacingOccurrences(of: "2024-", with: "2024/").replacingOccurrences(
                    of: "\"event_type\":\"", with: "\"event_type\":\"X")
        }
        let folder = try ScratchFolder()
        let path = folder.path("errors.ndjson")
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: path))
        let (sequential, parallel) = try expectSameReports(path, errorBudget: 10)
        #expect(sequential.total.errorCount >= 600)
        #expect(parallel.filesReadInBlocks == 1)
        #expect(parallel.oneCoreRests == 1)
    }
}
