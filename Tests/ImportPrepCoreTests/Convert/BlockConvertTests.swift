import Foundation
import ImportPrepTestSupport
import Testing

@testable import ImportPrepCore

/// `convert` and `split` of an NDJSON file in blocks on several cores write exactly what one
/// core writes: the same chunks, manifest, rejects (with their line and record numbers) and counts.
@Suite struct BlockConvertTests {
    struct Run {
        var converter: Converter
        /// Every file written, as text, with the run's folder named `FOLDER`.
        var files: [String: String]
    }

    /// Runs convert/split on `path` into a fresh folder; returns the converter and every file written.
    func run(_ path: String, mode: ConvertOptions.Mode, parallel: Bool, blockSize: Int, keepRejects: Bool = true)
        throws -> Run
    {
        let folder = try ScratchFolder()
        var options = ConvertOptions()
        options.mode = mode
        options.parallel = parallel
        options.parallelThreshold = 0
        options.blockSize = blockSize
        options.maxRecordBytes = 4096
        options.maxChunkBytes = 9_000
        options.epoch = .auto
        let rejects = keepRejects ? try OutputFile.create(path: folder.path("rejects.ndjson")) : nil
        let converter = try Converter(options: options, destination: .directory(folder.path("out")), rejects: rejects)
        converter.convert(path: path)
        converter.finish()
        try rejects?.flush()
        func text(_ name: String) throws -> String {
            String(decoding: try folder.read(name), as: UTF8.self).replacingOccurrences(
                of: folder.url.path, with: "FOLDER")
        }
        var files = keepRejects ? ["rejects.ndjson": try text("rejects.ndjson")] : [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: folder.path("out")) {
            files[name] = try text("out/" + name)
        }
        return Run(converter: converter, files: files)
    }

    /// The first line where two texts differ, or nil (keeps a failure's message short).
    func firstDifference(_ a: String, _ b: String?) -> String? {
        guard let b else { return "missing" }
        let (x, y) = (
            a.split(separator: "\n", omittingEmptySubsequences: false),
            b.split(separator: "\n", omittingEmptySubsequences: false)
        )
        for k in 0..<max(x.count, y.count) where k >= x.count || k >= y.count || x[k] != y[k] {
            return "line \(k + 1): \(k < x.count ? x[k].prefix(300) : "-") vs \(k < y.count ? y[k].prefix(300) : "-")"
        }
        return nil
    }

    /// Generated records with errors, repairable problems, blank lines, CRLF, a record too big for
    /// a chunk, one too big to read, a BOM (even seeds) and no final newline (seed 3).
    func generatedFile(seed: UInt64, in folder: ScratchFolder) throws -> String {
        var generator = EventGenerator(seed: seed)
        let events = (0..<(300 + generator.next(300))).map { _ in generator.event() }
        var lines = generator.ndjson(events).split(separator: "\n").map(String.init)
        for k in stride(from: generator.next(7), to: lines.count, by: 1 + generator.next(9)) {
            switch generator.next(7) {
            case 0: lines[k] = ""
            case 1: lines[k] = String(lines[k].dropLast())
            case 2: lines[k] = lines[k].replacingOccurrences(of: "2024-", with: "2024/")
            case 3: lines[k] += "\r"
            case 4: lines[k] = lines[k].replacingOccurrences(of: #""user_id":"u-"#, with: #""user_id":1"#)
            case 5:
                lines[k] = lines[k].replacingOccurrences(
                    of: "}}", with: #"},"padding":"\#(String(repeating: "x", count: 3_000))"}"#)
            default:
                lines[k] = lines[k].replacingOccurrences(
                    of: "}}", with: #"},"padding":"\#(String(repeating: "y", count: 5_000))"}"#)
            }
        }
        let text = (seed % 2 == 0 ? "\u{FEFF}" : "") + lines.joined(separator: "\n") + (seed == 3 ? "" : "\n")
        let path = folder.path("blocks.ndjson")
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test(arguments: [(1, 1), (2, 700), (3, 4_096), (4, 50_000)] as [(UInt64, Int)])
    func blocksWriteWhatOneCoreWrites(seed: UInt64, blockSize: Int) throws {
        let folder = try ScratchFolder()
        let path = try generatedFile(seed: seed, in: folder)
        for mode in [ConvertOptions.Mode.split, .convert] {
            let one = try run(path, mode: mode, parallel: false, blockSize: blockSize)
            let blocks = try run(path, mode: mode, parallel: true, blockSize: blockSize)
            #expect(one.converter.filesReadInBlocks == 0)
            #expect(blocks.converter.filesReadInBlocks == 1)
            #expect(blocks.files.keys.sorted() == one.files.keys.sorted())
            for (name, text) in one.files {
                let difference = firstDifference(text, blocks.files[name])
                #expect(difference == nil, "\(mode) \(name): \(difference ?? "")")
            }
            let (a, b) = (one.converter.summary, blocks.converter.summary)
            #expect(a.records > 300 && a.rejected > 0 && a.written > 0 && a.blankLines > 0)
            #expect(a.chunks.count > 2)
            let counts: [Int] = [b.records, b.written, b.rejected, b.blankLines]
            #expect(counts == [a.records, a.written, a.rejected, a.blankLines])
            #expect(b.byEventType == a.byEventType && b.repairs == a.repairs && b.rejectedByCode == a.rejectedByCode)
            #expect(b.chunks == a.chunks)
            #expect(b.inputs.map(\.bytes) == a.inputs.map(\.bytes) && b.inputs.map(\.format) == a.inputs.map(\.format))
            #expect(blocks.converter.exitStatus == one.converter.exitStatus)
            // Without a rejects file the errors are only counted, and counted alike.
            let counted = try run(path, mode: mode, parallel: true, blockSize: blockSize, keepRejects: false)
            #expect(counted.converter.summary.rejected == a.rejected)
            #expect(counted.converter.summary.rejectedByCode == a.rejectedByCode)
            #expect(counted.files["manifest.json"] != nil)
        }
    }

    /// Compares a one-core and a block run of `convert` on `path`; returns the block run.
    @discardableResult
    func expectSameConversion(_ path: String, blockSize: Int, sourceLocation: SourceLocation = #_sourceLocation) throws
        -> Run
    {
        let one = try run(path, mode: .convert, parallel: false, blockSize: blockSize)
        let blocks = try run(path, mode: .convert, parallel: true, blockSize: blockSize)
        #expect(blocks.converter.filesReadInBlocks == 1, sourceLocation: sourceLocation)
        #expect(blocks.files.keys.sorted() == one.files.keys.sorted(), sourceLocation: sourceLocation)
        for (name, text) in one.files {
            let difference = firstDifference(text, blocks.files[name])
            #expect(difference == nil, "\(name): \(difference ?? "")", sourceLocation: sourceLocation)
        }
        #expect(blocks.converter.summary.chunks == one.converter.summary.chunks, sourceLocation: sourceLocation)
        #expect(one.converter.summary.rejected > 0, sourceLocation: sourceLocation)
        return blocks
    }

    /// CSV with quoted newlines, quotes and commas, CRLF, a BOM, blank lines and errors: every
    /// block after the first is read after a copy of the header, and the result is the one-core one.
    @Test(arguments: [(1, 1), (2, 900), (3, 5_000), (4, 40_000)] as [(UInt64, Int)])
    func csvBlocksWriteWhatOneCoreWrites(seed: UInt64, blockSize: Int) throws {
        let text = BlockTestFiles.csvWithProblems(seed: seed)
        #expect(text.contains("line one\nline two"))
        let folder = try ScratchFolder()
        let path = folder.path("blocks.csv")
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        let blocks = try expectSameConversion(path, blockSize: blockSize)
        #expect(blocks.converter.csvFallbacks == 0)
    }

    /// A stray quote (an error libcsv recovers from at the end of its line) makes the quote count
    /// lie about where records start after it: the block before the misplaced cut does not end
    /// between records, and the rest of the file is read on one core. The output is the same.
    @Test func aStrayQuoteSendsTheRestToOneCore() throws {
        let folder = try ScratchFolder()
        let path = folder.path("stray.csv")
        try Data(BlockTestFiles.csvWithStrayQuote().utf8).write(to: URL(fileURLWithPath: path))
        let blocks = try expectSameConversion(path, blockSize: 2_000)
        #expect(blocks.converter.csvFallbacks == 1)
        #expect(blocks.converter.summary.rejectedByCode[ProblemCode.malformedCSV.index] >= 1)
    }

    /// Small files, and CSV files whose header is not clean (here: blank lines before it, which the
    /// copy of the header would not have), are read on one core.
    @Test func smallFilesAndBadHeadersStayOnOneCore() throws {
        let folder = try ScratchFolder()
        let path = folder.path("small.ndjson")
        try Data(#"{"event_type":"track","user_id":"u","event_name":"e","inserted_at":"2024-01-01T00:00:00"}"#.utf8)
            .write(to: URL(fileURLWithPath: path))
        var options = ConvertOptions()
        options.parallelThreshold = 1 << 20
        let converter = try Converter(options: options, destination: .file(folder.path("out.ndjson")), rejects: nil)
        converter.convert(path: path)
        converter.finish()
        #expect(converter.filesReadInBlocks == 0)
        #expect(converter.summary.written == 1)

        let csv = folder.path("in.csv")
        try Data("\n\nevent_type,user_id,event_name,inserted_at\ntrack,u,e,2024-01-01T00:00:00\n".utf8)
            .write(to: URL(fileURLWithPath: csv))
        options.parallelThreshold = 0
        let csvConverter = try Converter(
            options: options, destination: .file(folder.path("csv.ndjson")), rejects: nil)
        csvConverter.convert(path: csv)
        csvConverter.finish()
        #expect(csvConverter.filesReadInBlocks == 0)
        #expect(csvConverter.summary.records == 1)
    }
}
