import Foundation
import ImportPrepTestSupport
import Testing

/// The tests' own way of starting programs (`ChildProcess`): what a child gets, and that a
/// child's standard input ends when the test ends it, whatever else is running.
@Suite(.timeLimit(.minutes(2))) struct ChildProcessTests {
    @Test func aChildGetsItsThreeStreamsAnEmptySignalMaskAndTheDefaultActions() throws {
        // Started from a thread that blocks SIGTERM (a child inherits its starter's mask).
        var blocked = sigset_t()
        var before = sigset_t()
        sigemptyset(&blocked)
        sigaddset(&blocked, SIGTERM)
        pthread_sigmask(SIG_BLOCK, &blocked, &before)
        defer { pthread_sigmask(SIG_SETMASK, &before, nil) }
        let streams = try ChildProcess.run("/bin/sh", ["-c", "ls /proc/$$/fd"], in: "/")
        #expect(streams.stdout == "0\n1\n2\n", "\(streams.stderr)")
        // grep itself, not a shell (which would set its own mask).
        let run = try ChildProcess.run("/bin/grep", ["-E", "^Sig(Blk|Ign)", "/proc/self/status"])
        let lines = run.stdout.split(separator: "\n").map(String.init)
        #expect(run.ending == .init(status: 0, signalled: false), "\(run.stderr)")
        #expect(lines.contains("SigBlk:\t0000000000000000"), "\(lines)")
        // SIGPIPE (13), SIGINT (2) and SIGTERM (15) are not ignored, whatever this process does.
        let ignored = lines.first { $0.hasPrefix("SigIgn:") }.flatMap { UInt64($0.dropFirst(8), radix: 16) }
        #expect(ignored.map { $0 & (1 << 12 | 1 << 1 | 1 << 14) } == 0, "\(lines)")
    }

    @Test func closingOneChildsInputEndsItWhileAnotherStillReads() throws {
        let first = try ChildProcess("/bin/cat", [], stdin: .pipe)
        let second = try ChildProcess("/bin/cat", [], stdin: .pipe)
        try first.write(Data("abc".utf8))
        first.closeInput()
        // Had the first pipe's write end leaked into the second child, this would wait for ever.
        #expect(first.wait() == .init(status: 0, signalled: false))
        #expect(second.isRunning)
        second.closeInput()
        #expect(second.wait() == .init(status: 0, signalled: false))
    }

    @Test func whatIsWrittenToTheInputIsWhatTheChildReads() throws {
        let folder = try ScratchFolder()
        let child = try ChildProcess("/bin/cat", [], stdin: .pipe, stdout: .file(folder.path("out")))
        let bytes = Data((0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 7) })
        try child.write(bytes)
        child.closeInput()
        #expect(child.wait() == .init(status: 0, signalled: false))
        #expect(try Data(contentsOf: folder.url.appendingPathComponent("out")) == bytes)
    }

    @Test func aSignalEndsTheChildAndIsReportedAsOne() async throws {
        let child = try ChildProcess("/bin/sleep", ["600"])
        child.signal(SIGKILL)
        #expect(await child.ended() == .init(status: SIGKILL, signalled: true))
        // Reaped: a later signal goes nowhere.
        child.signal(SIGKILL)
        #expect(!child.isRunning)
    }
}
