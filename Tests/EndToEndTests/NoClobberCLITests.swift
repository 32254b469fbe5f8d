import Foundation
import ImportPrepTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// What import-prep will not overwrite (docs/convert.md, "What import-prep will and will not overwrite"):
/// inputs, links it did not make, devices and pipes it was pointed at. Each test hashes what must
/// survive before and after the run.
@Suite struct NoClobberCLITests {
    /// A scratch folder with an input of the sample records and errors (some rejected by convert).
    struct Scratch {
        let url: URL
        var path: String { url.path }
        func file(_ name: String) -> String { url.appendingPathComponent(name).path }

        init() throws {
            url = FileManager.default.temporaryDirectory.appendingPathComponent("import-prep-noclobber-\(UUID())")
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
            let clean = try Data(contentsOf: Paths.root.appendingPathComponent("samples/clean.ndjson"))
            let errors = try Data(contentsOf: Paths.root.appendingPathComponent("samples/errors.ndjson"))
            var input = Data()
            for _ in 0..<200 { input.append(clean) }
            input.append(errors)
            try input.write(to: url.appendingPathComponent("in.ndjson"))
            try Data("keep me: the victim's own bytes\n".utf8).write(to: url.appendingPathComponent("victim"))
        }

        func remove() { try? FileManager.default.removeItem(at: url) }

        func hash(_ name: String) throws -> String {
            try IndependentSHA256.hex(ofFile: url.appendingPathComponent(name).path)
        }

        func type(_ name: String) -> mode_t {
            var info = stat()
            guard lstat(file(name), &info) == 0 else { return 0 }
            return info.st_mode & S_IFMT
        }
    }

    static var isRoot: Bool { getuid() == 0 }

    /// glibc's `makedev` for small numbers (a macro Swift does not import).
    func makedev(_ major: UInt64, _ minor: UInt64) -> dev_t { dev_t((major << 8) | minor) }

    @Test func validateRefusesAnErrorListThatIsItsInput() throws {
        let s = try Scratch()
        defer { s.remove() }
        let before = try s.hash("in.ndjson")
        let run = try ImportPrepBinary.run(["validate", "--errors", s.file("in.ndjson"), s.file("in.ndjson")])
        #expect(run.status == 2, "\(run.stderr)")
        #expect(
            run.stderr.contains("--errors \(s.file("in.ndjson")) is the input \(s.file("in.ndjson"))"), "\(run.stderr)")
        #expect(run.stderr.contains("A safe command: import-prep validate --errors \(s.file("in.errors.ndjson"))"))
        #expect(try s.hash("in.ndjson") == before)
    }

    @Test func convertRefusesRejectsOrOutputThatIsItsInput() throws {
        let s = try Scratch()
        defer { s.remove() }
        let before = try s.hash("in.ndjson")
        let rejects = try ImportPrepBinary.run([
            "convert", "--to", "ndjson", "-o", s.file("out.ndjson"), "--rejects", s.file("in.ndjson"),
            s.file("in.ndjson"),
        ])
        #expect(rejects.status == 2, "\(rejects.stderr)")
        #expect(rejects.stderr.contains("--rejects \(s.file("in.ndjson")) is the input"), "\(rejects.stderr)")
        #expect(!FileManager.default.fileExists(atPath: s.file("out.ndjson")), "nothing is opened before the check")

        let inPlace = try ImportPrepBinary.run([
            "convert", "--to", "ndjson", "-o", s.file("in.ndjson"), s.file("in.ndjson"),
        ])
        #expect(inPlace.status == 2, "\(inPlace.stderr)")
        #expect(inPlace.stderr.contains("never writes a file in place"), "\(inPlace.stderr)")
        #expect(
            inPlace.stderr.contains(
                "import-prep convert --to ndjson -o \(s.file("in.converted.ndjson")) \(s.file("in.ndjson"))"),
            "\(inPlace.stderr)")
        #expect(try s.hash("in.ndjson") == before)
        #expect(try FileManager.default.contentsOfDirectory(atPath: s.path).sorted() == ["in.ndjson", "victim"])
    }

    @Test func hardLinksAndSymlinksOfTheInputAreRefused() throws {
        let s = try Scratch()
        defer { s.remove() }
        let before = try s.hash("in.ndjson")
        #expect(link(s.file("in.ndjson"), s.file("hard.ndjson")) == 0)
        #expect(symlink(s.file("in.ndjson"), s.file("soft.ndjson")) == 0)
        let hard = try ImportPrepBinary.run([
            "convert", "--to", "ndjson", "-o", s.file("hard.ndjson"), s.file("in.ndjson"),
        ])
        #expect(hard.status == 2 && hard.stderr.contains("is the input"), "\(hard.stderr)")
        let soft = try ImportPrepBinary.run([
            "convert", "--to", "ndjson", "-o", s.file("soft.ndjson"), s.file("in.ndjson"),
        ])
        #expect(soft.status == 2 && soft.stderr.contains("symbolic link"), "\(soft.stderr)")
        // The input named through a link, the output by its real name.
        let viaLink = try ImportPrepBinary.run(["validate", "--errors", s.file("in.ndjson"), s.file("soft.ndjson")])
        #expect(viaLink.status == 2 && viaLink.stderr.contains("is the input"), "\(viaLink.stderr)")
        // Standard input redirected from the file is the same file too.
        let redirected = try ChildProcess.run(
            ImportPrepBinary.url.path,
            ["convert", "--to", "ndjson", "--format", "ndjson", "-o", s.file("in.ndjson"), "-"],
            stdin: .file(s.file("in.ndjson")))
        #expect(redirected.ending == .init(status: 2, signalled: false), "\(redirected.stderr)")
        #expect(try s.hash("in.ndjson") == before)
        #expect(s.type("soft.ndjson") == S_IFLNK)
    }

    @Test func twoOutputsOfOneFileAndChunkNamesAreRefused() throws {
        let s = try Scratch()
        defer { s.remove() }
        let same = try ImportPrepBinary.run([
            "convert", "--to", "ndjson", "-o", s.file("out.ndjson"), "--rejects", s.file("out.ndjson"),
            s.file("in.ndjson"),
        ])
        #expect(same.status == 2 && same.stderr.contains("is also the output of -o"), "\(same.stderr)")
        let chunkName = try ImportPrepBinary.run([
            "convert", "--to", "ndjson", "--out", s.file("chunks"), "--rejects", s.file("chunks/part-00001.ndjson"),
            s.file("in.ndjson"),
        ])
        #expect(chunkName.status == 2 && chunkName.stderr.contains("uses for its chunks"), "\(chunkName.stderr)")
        #expect(!FileManager.default.fileExists(atPath: s.file("chunks")))
    }

    @Test(.enabled(if: isRoot, "mknod needs root"))
    func aNullDeviceIsWrittenThroughAndStaysADevice() throws {
        let s = try Scratch()
        defer { s.remove() }
        #expect(mknod(s.file("null"), S_IFCHR | 0o666, makedev(1, 3)) == 0)
        let run = try ImportPrepBinary.run(["convert", "--to", "ndjson", "-o", s.file("null"), s.file("in.ndjson")])
        #expect(run.status == 1, "\(run.stderr)")  // the errors sample's rows are rejected
        #expect(run.stderr.contains("1208 written"), "\(run.stderr)")
        #expect(s.type("null") == S_IFCHR)
        #expect(
            try FileManager.default.contentsOfDirectory(atPath: s.path).sorted() == ["in.ndjson", "null", "victim"])
    }

    @Test(.enabled(if: isRoot, "mknod needs root"))
    func aFullDeviceExitsThreeNamingThePath() throws {
        let s = try Scratch()
        defer { s.remove() }
        #expect(mknod(s.file("full"), S_IFCHR | 0o666, makedev(1, 7)) == 0)
        let run = try ImportPrepBinary.run(["convert", "--to", "ndjson", "-o", s.file("full"), s.file("in.ndjson")])
        #expect(run.status == 3, "\(run.stderr)")
        #expect(run.stderr.contains(s.file("full")), "\(run.stderr)")
        #expect(s.type("full") == S_IFCHR)
        let errors = try ImportPrepBinary.run(["validate", "--errors", s.file("full"), s.file("in.ndjson")])
        #expect(errors.status == 3 && errors.stderr.contains(s.file("full")), "\(errors.stderr)")
        #expect(s.type("full") == S_IFCHR)
    }

    @Test(.enabled(if: isRoot, "mknod needs root"))
    func aBlockDeviceIsRefused() throws {
        let s = try Scratch()
        defer { s.remove() }
        // A loop device number; nothing is opened, the node only has to exist.
        #expect(mknod(s.file("disk"), S_IFBLK | 0o600, makedev(7, 200)) == 0)
        let run = try ImportPrepBinary.run(["convert", "--to", "ndjson", "-o", s.file("disk"), s.file("in.ndjson")])
        #expect(run.status == 2 && run.stderr.contains("block device"), "\(run.stderr)")
        #expect(s.type("disk") == S_IFBLK)
    }

    @Test(.timeLimit(.minutes(2)))
    func aFIFOIsWrittenThroughAndStaysAFIFO() throws {
        let s = try Scratch()
        defer { s.remove() }
        #expect(mkfifo(s.file("fifo"), 0o644) == 0)
        final class Box: @unchecked Sendable { var data = Data() }
        let received = Box()
        let reader = Thread {
            if let handle = FileHandle(forReadingAtPath: s.file("fifo")) {
                received.data = handle.readDataToEndOfFile()
            }
        }
        reader.start()
        let run = try ImportPrepBinary.run(["convert", "--to", "ndjson", "-o", s.file("fifo"), s.file("in.ndjson")])
        #expect(run.status == 1, "\(run.stderr)")
        // Should the run not have opened the FIFO, release the reader rather than wait for ever.
        let release = open(s.file("fifo"), O_WRONLY | O_NONBLOCK)
        if release >= 0 { close(release) }
        let deadline = Date().addingTimeInterval(60)
        while !reader.isFinished && Date() < deadline { usleep(10_000) }
        #expect(received.data.split(separator: UInt8(ascii: "\n")).count == 1208)
        #expect(s.type("fifo") == S_IFIFO)
    }

    /// `-o /dev/stdout` is a link to the process's own standard output: made here in the scratch
    /// folder (the same link), so the machine's `/dev/stdout` is never at stake.
    @Test func aLinkToStandardOutputIsWrittenThroughAndKept() throws {
        let s = try Scratch()
        defer { s.remove() }
        #expect(symlink("/proc/self/fd/1", s.file("stdout")) == 0)
        let run = try ImportPrepBinary.run(["convert", "--to", "ndjson", "-o", s.file("stdout"), s.file("in.ndjson")])
        #expect(run.status == 1, "\(run.stderr)")
        #expect(run.stdout.split(separator: "\n").count == 1208)
        #expect(s.type("stdout") == S_IFLNK)
    }

    @Test func plantedLinksAtOutputNamesAreNeverFollowed() throws {
        let s = try Scratch()
        defer { s.remove() }
        let victim = try s.hash("victim")
        // The old fixed temporary names, and the final names of a single-file output and of the journal.
        try FileManager.default.createDirectory(atPath: s.file("chunks"), withIntermediateDirectories: true)
        for name in ["chunks/.part-00001.ndjson.partial", "chunks/.manifest.json.partial", "out.ndjson.partial"] {
            #expect(symlink(s.file("victim"), s.file(name)) == 0)
        }
        let chunks = try ImportPrepBinary.run([
            "convert", "--to", "ndjson", "--out", s.file("chunks"), "--max-bytes", "20KB", s.file("in.ndjson"),
        ])
        #expect(chunks.status == 1, "\(chunks.stderr)")
        let file = try ImportPrepBinary.run([
            "convert", "--to", "ndjson", "-o", s.file("out.ndjson"), s.file("in.ndjson"),
        ])
        #expect(file.status == 1, "\(file.stderr)")
        #expect(try Data(contentsOf: s.url.appendingPathComponent("out.ndjson")).count > 0)
        #expect(s.type("out.ndjson") == S_IFREG)

        #expect(symlink(s.file("victim"), s.file("linked.ndjson")) == 0)
        for arguments in [
            ["convert", "--to", "ndjson", "-o", s.file("linked.ndjson"), s.file("in.ndjson")],
            [
                "convert", "--to", "ndjson", "-o", s.file("o.ndjson"), "--rejects", s.file("linked.ndjson"),
                s.file("in.ndjson"),
            ],
            ["validate", "--errors", s.file("linked.ndjson"), s.file("in.ndjson")],
        ] {
            let run = try ImportPrepBinary.run(arguments)
            #expect(run.status == 2 && run.stderr.contains("symbolic link"), "\(arguments): \(run.stderr)")
        }
        // A link planted at the journal's name.
        #expect(symlink(s.file("victim"), s.file("chunks/upload-journal.ndjson")) == 0)
        let upload = try ImportPrepBinary.run(["upload", "--dry-run", s.file("chunks")])
        #expect(upload.status == 2 && upload.stderr.contains("symbolic link"), "\(upload.stderr)")

        #expect(try s.hash("victim") == victim)
        for name in ["chunks/.part-00001.ndjson.partial", "chunks/.manifest.json.partial", "out.ndjson.partial"] {
            #expect(s.type(name) == S_IFLNK)
        }
        let left = try FileManager.default.contentsOfDirectory(atPath: s.file("chunks")).filter {
            $0.hasSuffix(".partial") && !$0.hasPrefix(".part-00001.ndjson.partial") && $0 != ".manifest.json.partial"
        }
        #expect(left.isEmpty, "temporary files left: \(left)")
    }

    @Test func theJournalMustNotBeAChunkOrTheManifest() throws {
        let s = try Scratch()
        defer { s.remove() }
        let convert = try ImportPrepBinary.run([
            "convert", "--to", "ndjson", "--out", s.file("chunks"), s.file("in.ndjson"),
        ])
        #expect(convert.status == 1)
        let manifest = try s.hash("chunks/manifest.json")
        let chunk = try s.hash("chunks/part-00001.ndjson")
        for target in ["chunks/manifest.json", "chunks/part-00001.ndjson"] {
            let run = try ImportPrepBinary.run(["upload", "--dry-run", "--journal", s.file(target), s.file("chunks")])
            #expect(run.status == 2 && run.stderr.contains("is the input"), "\(run.stderr)")
        }
        #expect(try s.hash("chunks/manifest.json") == manifest)
        #expect(try s.hash("chunks/part-00001.ndjson") == chunk)
    }
}
