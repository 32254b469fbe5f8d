import Foundation
import Synchronization
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// What a run of the built binary left behind.
public struct BinaryRun: Sendable {
    public var status: Int32
    public var stdout: String
    public var stderr: String
    /// Ended by a signal rather than by exiting.
    public var signalled: Bool
    /// The child's own peak RSS (`VmHWM`), see `PeakWatcher`.
    public var peakKiB: Int

    /// Standard output as one JSON object (`--report json`); empty when it is not one.
    public var json: [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(stdout.utf8))) as? [String: Any] ?? [:]
    }
}

/// Runs the built `import-prep` (or `IMPORT_PREP_BIN`) from the project's folder, with its output
/// in files (no pipe can fill up and stall it) and `USERPILOT_API_KEY` removed from its
/// environment unless a test sets it.
public enum ImportPrepBinary {
    public static var url: URL {
        if let path = ProcessInfo.processInfo.environment["IMPORT_PREP_BIN"] { return URL(fileURLWithPath: path) }
        return Paths.root.appendingPathComponent(".build/debug/import-prep")
    }

    /// Runs to the end, blocking the calling thread; `stdin` is written to its standard input.
    /// Not for tests that serve a stand-in on the cooperative pool (use `runAsync`).
    @discardableResult
    public static func run(_ arguments: [String], stdin: Data? = nil, environment: [String: String] = [:]) throws
        -> BinaryRun
    {
        let started = try Started(arguments, environment: environment)
        if let stdin { try started.child.write(stdin) }
        started.child.closeInput()
        started.child.wait()
        return started.finish()
    }

    /// Runs to the end without blocking a Swift concurrency thread (the stand-in serves on
    /// those). `whileRunning` may act on the child (e.g. signal it) before it is awaited.
    public static func runAsync(
        _ arguments: [String], environment: [String: String] = [:],
        whileRunning: ((ChildProcess) async -> Void)? = nil
    ) async throws -> BinaryRun {
        let started = try Started(arguments, environment: environment)
        started.child.closeInput()
        if let whileRunning { await whileRunning(started.child) }
        await started.child.ended()
        return started.finish()
    }

    /// Runs to the end; `feed` writes its standard input (e.g. a stream larger than memory should hold).
    public static func runFeeding(_ arguments: [String], feed: (ChildProcess) throws -> Void) throws -> BinaryRun {
        let started = try Started(arguments, environment: [:])
        try feed(started.child)
        started.child.closeInput()
        started.child.wait()
        return started.finish()
    }

    /// A file of `contents` in a fresh temporary folder of its own.
    public static func temporaryFile(_ name: String, _ contents: Data) throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
            "import-prep-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let url = dir.appendingPathComponent(name)
        try contents.write(to: url)
        return url
    }

    /// A started child, its output files and its memory watcher.
    private final class Started {
        let child: ChildProcess
        let folder: ScratchFolder
        let peak: PeakWatcher

        init(_ arguments: [String], environment: [String: String]) throws {
            let binary = ImportPrepBinary.url
            if !FileManager.default.isExecutableFile(atPath: binary.path) {
                Issue.record("\(binary.path) is missing: run `swift build` (scripts/test does) before these tests")
            }
            folder = try ScratchFolder()
            var env = ProcessInfo.processInfo.environment
            env.removeValue(forKey: "USERPILOT_API_KEY")
            for (key, value) in environment { env[key] = value }
            child = try ChildProcess(
                binary.path, arguments, in: Paths.root.path, environment: env, stdin: .pipe,
                stdout: .file(folder.path("out")), stderr: .file(folder.path("err")))
            peak = PeakWatcher(child)
        }

        func finish() -> BinaryRun {
            let ending = child.wait()
            return BinaryRun(
                status: ending.status,
                stdout: (try? String(contentsOfFile: folder.path("out"), encoding: .utf8)) ?? "",
                stderr: (try? String(contentsOfFile: folder.path("err"), encoding: .utf8)) ?? "",
                signalled: ending.signalled, peakKiB: peak.finish())
        }
    }
}

/// A child's own peak RSS: `VmHWM` of `/proc/PID/status`, read every 2 ms on a thread of its own
/// while the child runs (the last reading before it exits; its memory is gone once it has).
/// `ru_maxrss` from `wait4` or `getrusage` would not do: at `exec` the kernel folds in the peak
/// of the memory the child had before, which after `posix_spawn`'s vfork is this test process.
public final class PeakWatcher: Sendable {
    private let kiB = Mutex(0)
    private let done = DispatchSemaphore(value: 0)

    public init(_ child: ChildProcess) {
        let pid = child.pid
        let thread = Thread { [self] in
            while child.isRunning {
                if let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
                    let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
                    let value = Int(line.split(separator: " ", omittingEmptySubsequences: true)[1])
                {
                    kiB.withLock { $0 = max($0, value) }
                }
                usleep(2000)
            }
            done.signal()
        }
        thread.start()
    }

    /// The peak, once the process has ended.
    public func finish() -> Int {
        done.wait()
        done.signal()
        return kiB.withLock { $0 }
    }
}
