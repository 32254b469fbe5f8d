import Foundation
import ImportPrepTestSupport
import Testing

@testable import ImportPrepCore

/// Amplitude's export is a zip of `.json.gz` files: read directly, entry after entry, stored or
/// deflated, ZIP64 too (archives made by Python's zipfile, as other tools make them).
@Suite(.timeLimit(.minutes(2))) struct ZipTests {
    static let rows = (0..<6).map { i in
        #"{"event_type":"E\#(i)","user_id":"u\#(i)","amplitude_id":\#(i),"event_time":"2025-02-05 22:0\#(i):00.000000"}"#
    }

    /// Runs Python's zipfile to build `name` in `folder` from `script` (entries written with `z`).
    func makeZip(_ name: String, in folder: ScratchFolder, _ script: String) throws {
        let run = try ChildProcess.run(
            "/usr/bin/env",
            [
                "python3", "-c",
                "import gzip, sys, zipfile\nrows = sys.argv[2].encode()\n" + script, folder.path(name),
                Self.rows.joined(separator: "\n") + "\n",
            ])
        #expect(run.ending == .init(status: 0, signalled: false), "\(run.stderr)")
    }

    func validate(_ path: String, preset: Preset? = .amplitude) -> FileSummary {
        var options = ValidationOptions()
        options.preset = preset.map { PresetSettings(preset: $0) }
        let validator = Validator(options: options)
        validator.validate(path: path)
        return validator.summaries[0]
    }

    @Test func storedAndDeflatedEntriesOfGzipFilesReadAsOneStream() throws {
        let folder = try ScratchFolder()
        try makeZip(
            "stored.zip", in: folder,
            """
            lines = rows.splitlines(keepends=True)
            with zipfile.ZipFile(sys.argv[1], 'w', zipfile.ZIP_STORED) as z:
                z.writestr('123/', b'')
                z.writestr('123/a#0.json.gz', gzip.compress(b''.join(lines[:4])))
                z.writestr('123/b#0.json.gz', gzip.compress(b''.join(lines[4:])))
            """)
        try makeZip(
            "deflated64.zip", in: folder,
            """
            with zipfile.ZipFile(sys.argv[1], 'w', zipfile.ZIP_DEFLATED) as z:
                with z.open('x.json.gz', 'w', force_zip64=True) as f: f.write(gzip.compress(rows))
                z.writestr('y.json', rows)
            """)
        let stored = validate(folder.path("stored.zip"))
        #expect(stored.readFailure == nil && stored.records == 6 && stored.valid == 6)
        let deflated = validate(folder.path("deflated64.zip"))
        #expect(deflated.readFailure == nil, "\(deflated.readFailure ?? "")")
        #expect(deflated.records == 12, "a gzip entry and a plain one")
    }

    @Test func aZipCutShortIsAReadFailureNamingTheFile() throws {
        let folder = try ScratchFolder()
        try makeZip(
            "whole.zip", in: folder,
            "with zipfile.ZipFile(sys.argv[1], 'w', zipfile.ZIP_DEFLATED) as z: z.writestr('a.json.gz', gzip.compress(rows * 50))"
        )
        let bytes = try folder.read("whole.zip")
        try Data(bytes.prefix(bytes.count / 2)).write(to: URL(fileURLWithPath: folder.path("cut.zip")))
        let cut = validate(folder.path("cut.zip"))
        #expect(cut.readFailure?.contains("cut.zip") == true, "\(cut.readFailure ?? "none")")
        #expect(cut.readFailure?.contains("zip") == true)
    }
}
