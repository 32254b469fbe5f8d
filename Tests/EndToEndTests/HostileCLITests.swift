import Foundation
import ImportPrepTestSupport
import Testing

/// Hostile input and output through the built binary.
@Suite struct HostileCLITests {
    /// A single 2 GiB line with no newline, piped in: rejected while streaming, in bounded memory.
    @Test func twoGigabyteLineInBoundedMemory() throws {
        let run = try ImportPrepBinary.runFeeding(["validate", "--report", "json", "--format", "ndjson", "-"]) {
            input in
            let block = Data(repeating: UInt8(ascii: "x"), count: 1 << 20)
            try input.write(Data(#"{"event_type":"track","pad":""#.utf8))
            for _ in 0..<2048 { try input.write(block) }
        }
        #expect(run.status == 1)
        let json = run.json
        let total = json["total"] as! [String: Any]
        #expect(total["records"] as? Int == 1)
        #expect((total["errors_by_code"] as! [String: Int])["record_too_large"] == 1)
        #expect((total["bytes"] as? Int ?? 0) > 2_000_000_000)
        #expect(run.peakKiB < 64 * 1024, "peak RSS \(run.peakKiB) KiB")
    }

    @Test func aFullDiskForOutputExitsThreeAndNamesThePath() throws {
        let errors = try ImportPrepBinary.run(["validate", "--errors", "/dev/full", "samples/errors.ndjson"])
        #expect(errors.status == 3)
        #expect(errors.stderr.contains("/dev/full"))
        let rejects = try ImportPrepBinary.run([
            "convert", "--to", "ndjson", "-o", "/tmp/import-prep-unused.ndjson", "--rejects", "/dev/full",
            "samples/errors.ndjson",
        ])
        #expect(rejects.status == 3)
        #expect(rejects.stderr.contains("/dev/full"))
        try? FileManager.default.removeItem(atPath: "/tmp/import-prep-unused.ndjson")

        let full = try ChildProcess.run(
            ImportPrepBinary.url.path, ["convert", "--to", "ndjson", "samples/clean.ndjson"], in: Paths.root.path,
            stdout: .file("/dev/full"))
        #expect(full.ending == .init(status: 3, signalled: false))
        let message = full.stderr
        #expect(message.contains("standard output"), "\(message)")
    }

    @Test func unreadableInputsExitThree() throws {
        for path in ["/proc/self/mem", "/", "/no/such/export.csv"] {
            let run = try ImportPrepBinary.run(["validate", path])
            #expect(run.status == 3, "\(path)")
            #expect(run.stderr.contains(path), "\(path): \(run.stderr)")
        }
    }

    @Test func gzipWithoutItsExtensionAndUTF16() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
            "import-prep-hostile-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let gz = try ChildProcess.run(
            "/bin/sh", ["-c", "gzip -c samples/clean.ndjson > '\(dir.path)/export.bin'"], in: Paths.root.path)
        #expect(gz.ending.status == 0)
        let run = try ImportPrepBinary.run(["validate", dir.path + "/export.bin"])
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        #expect(run.stdout.contains("6 records: 6 valid"))

        let utf16 = dir.appendingPathComponent("utf16.csv")
        try "event_type,user_id\ntrack,u\n".data(using: .utf16)!.write(to: utf16)
        let refused = try ImportPrepBinary.run(["validate", utf16.path])
        #expect(refused.status == 3)
        #expect(refused.stderr.contains("UTF-16"))
    }
}
