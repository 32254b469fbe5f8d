import Foundation
import ImportPrepTestSupport
import Testing

@testable import ImportPrepCore

@Suite struct ChunkTests {
    func generated(_ count: Int, seed: UInt64 = 11) -> [UInt8] {
        var generator = EventGenerator(seed: seed)
        let events = (0..<count).map { _ in generator.event() }
        return Array(generator.ndjson(events).utf8)
    }

    func chunked(_ input: [UInt8], maxBytes: Int, maxRows: Int = .max, in folder: ScratchFolder) throws -> Converter {
        var options = ConvertOptions()
        options.maxChunkBytes = maxBytes
        options.maxChunkRows = maxRows
        let converter = try Converter(options: options, destination: .directory(folder.path("out")), rejects: nil)
        converter.convert(source: ByteSource(bytes: input, name: "g.ndjson"))
        converter.finish()
        return converter
    }

    @Test(arguments: [(2_000, Int.max), (5_000, 7), (100_000, 50)])
    func chunksRespectTheLimitsAndConcatenateToTheSingleFile(maxBytes: Int, maxRows: Int) throws {
        let input = generated(300)
        let folder = try ScratchFolder()
        let converter = try chunked(input, maxBytes: maxBytes, maxRows: maxRows, in: folder)
        let single = try convert([("g.ndjson", input)])
        var concatenated: [UInt8] = []
        for chunk in converter.summary.chunks {
            let bytes = try folder.read("out/" + chunk.file)
            #expect(bytes.count <= maxBytes && chunk.records <= maxRows)
            #expect(bytes.count == chunk.bytes)
            #expect(bytes.last == 0x0A)
            #expect(try IndependentSHA256.hex(bytes) == chunk.sha256)
            #expect(chunk.records == bytes.filter { $0 == 0x0A }.count)
            concatenated += bytes
        }
        #expect(concatenated == single.output)
        #expect(
            converter.summary.chunks.map(\.file)
                == (1...converter.summary.chunks.count).map { String(format: "part-%05d.ndjson", $0) })
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: folder.path("out")).filter {
            $0.hasPrefix(".")
        }
        #expect(leftovers.isEmpty)
    }

    @Test func manifestMatchesTheFiles() throws {
        let input = generated(120)
        let folder = try ScratchFolder()
        let converter = try chunked(input, maxBytes: 4_000, in: folder)
        let manifest = try JSONSerialization.jsonObject(with: Data(folder.read("out/manifest.json"))) as! [String: Any]
        #expect(manifest["complete"] as? Bool == true)
        let chunks = manifest["chunks"] as! [[String: Any]]
        #expect(chunks.count == converter.summary.chunks.count)
        var records = 0
        var firstLine = 1
        for chunk in chunks {
            let bytes = try folder.read("out/" + (chunk["file"] as! String))
            #expect(chunk["bytes"] as? Int == bytes.count)
            #expect(try IndependentSHA256.hex(bytes) == chunk["sha256"] as? String)
            let lines = String(decoding: bytes, as: UTF8.self).split(separator: "\n")
            #expect(chunk["records"] as? Int == lines.count)
            #expect((chunk["first_source"] as! [String: Any])["line"] as? Int == firstLine)
            firstLine = ((chunk["last_source"] as! [String: Any])["line"] as! Int) + 1
            let types = chunk["by_event_type"] as! [String: Int]
            #expect(types.values.reduce(0, +) == lines.count)
            let stamps = lines.map { line -> String in
                let object = try! JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
                return object["inserted_at"] as! String
            }
            #expect(chunk["first_inserted_at"] as? String == stamps.min())
            #expect(chunk["last_inserted_at"] as? String == stamps.max())
            records += lines.count
        }
        let totals = manifest["totals"] as! [String: Any]
        #expect(totals["written"] as? Int == records)
        #expect(totals["records"] as? Int == 120)
    }

    @Test func theManifestReadsBackAsWrittenAndRendersToTheSameBytes() throws {
        // Odd file names (quote, backslash, control character, non-ASCII) and a header that
        // cannot be read, so that every optional part of the layout is present.
        let input = generated(40)
        let folder = try ScratchFolder()
        var options = ConvertOptions()
        options.maxChunkBytes = 3_000
        let converter = try Converter(options: options, destination: .directory(folder.path("out")), rejects: nil)
        converter.convert(source: ByteSource(bytes: input, name: "a \"q\" \\ \u{1}é.ndjson"))
        converter.convert(source: ByteSource(bytes: Array("event_\"type,user_id\nx,y\n".utf8), name: "bad.csv"))
        converter.finish()
        let bytes = try folder.read("out/manifest.json")
        let manifest = try #require(Manifest.read(Data(bytes)))
        #expect(Array(manifest.rendered.utf8) == bytes)
        #expect(manifest.inputs.map(\.file) == ["a \"q\" \\ \u{1}é.ndjson", "bad.csv"])
        #expect(manifest.inputs[1].fileError?.code == "malformed_csv" && manifest.inputs[1].linesNotRead == 1)
        #expect(manifest.chunks.count == converter.summary.chunks.count && manifest.chunks.count > 1)
        #expect(manifest.chunks.map(\.records).reduce(0, +) == converter.summary.written)
        #expect(manifest.totals.byEventType.values.reduce(0, +) == converter.summary.written)
        #expect(manifest.chunks.first?.firstSource == Manifest.Source(file: "a \"q\" \\ \u{1}é.ndjson", line: 1))
        #expect(Manifest.read(Data("{\"chunks\":[]}".utf8)) == nil)
    }

    @Test func aRecordBiggerThanAChunkIsRejectedNotWritten() throws {
        let big =
            #"{"event_type":"track","user_id":"u","event_name":"e","source":"backend-http","inserted_at":"2024-07-28T10:00:00","metadata":{"pad":""#
            + String(repeating: "x", count: 500) + "\"}}"
        let input = Array((Fixtures.track + "\n" + big + "\n" + Fixtures.track + "\n").utf8)
        let folder = try ScratchFolder()
        let converter = try chunked(input, maxBytes: 300, in: folder)
        #expect(converter.summary.written == 2 && converter.summary.rejected == 1)
        #expect(converter.summary.rejectedByCode[ProblemCode.recordTooLarge.index] == 1)
        #expect(converter.summary.chunks.allSatisfy { $0.bytes <= 300 })
    }

    @Test func aFolderWithChunksIsRefused() throws {
        let folder = try ScratchFolder()
        _ = try chunked(generated(5), maxBytes: 10_000, in: folder)
        #expect(throws: IOFailure.self) {
            _ = try Converter(options: ConvertOptions(), destination: .directory(folder.path("out")), rejects: nil)
        }
    }
}
