import Foundation
import Testing

@testable import ImportPrepCore

/// Reading a file as two halves on two cores gives exactly the report of one sequential pass.
@Suite struct ParallelTests {
    func report(_ path: String, parallel: Bool) -> Validator {
        var options = ValidationOptions()
        options.parallel = parallel
        options.parallelThreshold = 0
        options.maxErrors = .max
        let validator = Validator(options: options)
        validator.validate(path: path)
        return validator
    }

    @Test(arguments: [1, 2, 3, 4] as [UInt64])
    func halvesJoinToTheSequentialReport(seed: UInt64) throws {
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
        let path = folder.path("halves.ndjson")
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))

        let sequential = report(path, parallel: false)
        let parallel = report(path, parallel: true)
        #expect(sequential.summaries[0].errorCount > 0)
        #expect(parallel.filesReadInHalves == 1 && sequential.filesReadInHalves == 0)
        #expect(parallel.summaries == sequential.summaries)
        #expect(parallel.shownErrors == sequential.shownErrors)
    }

    @Test func smallFilesAndCSVStayOnOneCore() throws {
        let folder = try ScratchFolder()
        let path = folder.path("one.csv")
        try Data(try Data(contentsOf: Paths.samples.appendingPathComponent("errors.csv"))).write(
            to: URL(fileURLWithPath: path))
        let parallel = report(path, parallel: true)
        #expect(parallel.filesReadInHalves == 0)
        #expect(parallel.summaries == report(path, parallel: false).summaries)
    }
}
