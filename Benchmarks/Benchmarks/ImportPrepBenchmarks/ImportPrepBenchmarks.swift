import Benchmark
import Foundation
import ImportPrepCore

/// 20,000 generated records per scenario (scripts/gen), read from memory: throughput and
/// allocations of validate and convert for each format.
let benchmarks: @Sendable () -> Void = {
    let records = 20_000
    let data = Fixture.load(records: records)
    let configuration = Benchmark.Configuration(
        metrics: [.wallClock, .throughput, .mallocCountTotal, .peakMemoryResident],
        maxDuration: .seconds(3),
        maxIterations: 10
    )

    for (name, bytes, format) in [("NDJSON", data.ndjson, InputFormat.ndjson), ("CSV", data.csv, .csv)] {
        Benchmark("validate \(name) (\(records) records)", configuration: configuration) { benchmark in
            for _ in benchmark.scaledIterations {
                var options = ValidationOptions()
                options.format = format
                let validator = Validator(options: options)
                validator.validate(source: ByteSource(bytes: bytes, name: "bench"))
                blackHole(validator.summaries)
            }
        }
        Benchmark("convert \(name) (\(records) records)", configuration: configuration) { benchmark in
            for _ in benchmark.scaledIterations {
                var options = ConvertOptions()
                options.format = format
                let path = NSTemporaryDirectory() + "import-prep-bench-\(UUID().uuidString).ndjson"
                let converter = try Converter(options: options, destination: .file(path), rejects: nil)
                converter.convert(source: ByteSource(bytes: bytes, name: "bench"))
                converter.finish()
                blackHole(converter.summary)
                try? FileManager.default.removeItem(atPath: path)
            }
        }
    }
}

enum Fixture {
    /// Generates the data once with scripts/gen (seeded, so every run measures the same bytes).
    static func load(records: Int) -> (ndjson: [UInt8], csv: [UInt8]) {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        let prefix = NSTemporaryDirectory() + "import-prep-bench-\(records)"
        if !FileManager.default.fileExists(atPath: prefix + ".csv") {
            let gen = Process()
            gen.executableURL = root.appendingPathComponent("scripts/gen")
            gen.arguments = ["--records", String(records), "--out", prefix]
            try? gen.run()
            gen.waitUntilExit()
        }
        let ndjson = (try? Data(contentsOf: URL(fileURLWithPath: prefix + ".ndjson"))) ?? Data()
        let csv = (try? Data(contentsOf: URL(fileURLWithPath: prefix + ".csv"))) ?? Data()
        return ([UInt8](ndjson), [UInt8](csv))
    }
}
