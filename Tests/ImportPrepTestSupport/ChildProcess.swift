import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A program the tests start, with `posix_spawn` and descriptors of its own.
///
/// Not Foundation's `Process`: on Linux that one closes the parent's ends of its `Pipe`s from
/// `run()` and keeps a socket and a run-loop thread per child, and the test process (where
/// SwiftNIO serves the API stand-in on descriptors of its own) once crashed on an `epoll_ctl` of
/// a descriptor closed under it. Here every descriptor is opened `O_CLOEXEC`, has one owner and
/// is closed once; the child gets exactly its three standard streams, an empty signal mask and a
/// process group of its own. The child is waited for by one thread, which reaps it only after
/// `signal(_:)` can no longer reach it, so a signal never goes to a reused process id.
public final class ChildProcess: Sendable {
    /// Where the child's standard input comes from.
    public enum Input: Sendable {
        /// `/dev/null`.
        case nothing
        /// A file, opened for reading.
        case file(String)
        /// A pipe the test writes with `write(_:)` and ends with `closeInput()`.
        case pipe
    }

    /// Where one of the child's output streams goes.
    public enum Output: Sendable {
        /// `/dev/null`.
        case discard
        /// A file, opened for writing (created when missing, never truncated; `/dev/full` is one).
        case file(String)
    }

    /// How the child ended.
    public struct Ending: Sendable, Equatable {
        /// The exit status, or the signal's number when `signalled`.
        public var status: Int32
        public var signalled: Bool

        public init(status: Int32, signalled: Bool) {
            self.status = status
            self.signalled = signalled
        }
    }

    public let pid: pid_t

    /// A write to the pipe of a child that has ended fails (`EPIPE`) instead of killing the test
    /// process; children get the default action back.
    private static let pipeWritesFailInstead: Void = { _ = Glibc.signal(SIGPIPE, SIG_IGN) }()
    private let input = Mutex<Int32>(-1)
    private let state = Mutex<(ending: Ending?, waiters: [CheckedContinuation<Ending, Never>])>((nil, []))
    private let reaped = DispatchSemaphore(value: 0)

    public init(
        _ executable: String, _ arguments: [String], in directory: String? = nil,
        environment: [String: String] = ProcessInfo.processInfo.environment, stdin: Input = .nothing,
        stdout: Output = .discard, stderr: Output = .discard
    ) throws {
        _ = Self.pipeWritesFailInstead
        var owned: [Int32] = []
        defer { for fd in owned { close(fd) } }
        func open(_ path: String, _ flags: Int32) throws -> Int32 {
            let fd = Glibc.open(path, flags | O_CLOEXEC, 0o644)
            guard fd >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
            owned.append(fd)
            return fd
        }
        func output(_ target: Output) throws -> Int32 {
            switch target {
            case .discard: return try open("/dev/null", O_WRONLY)
            case .file(let path): return try open(path, O_WRONLY | O_CREAT)
            }
        }
        let childInput: Int32
        var parentInput: Int32 = -1
        switch stdin {
        case .nothing: childInput = try open("/dev/null", O_RDONLY)
        case .file(let path): childInput = try open(path, O_RDONLY)
        case .pipe:
            var ends: [Int32] = [-1, -1]
            guard systemPipe2(&ends, O_CLOEXEC) == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
            owned.append(ends[0])
            childInput = ends[0]
            parentInput = ends[1]
        }
        let childOutput = try output(stdout)
        let childError = try output(stderr)

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        // dup2 onto 0, 1 and 2 clears close-on-exec there; every other descriptor of this
        // process is close-on-exec or closed here.
        posix_spawn_file_actions_adddup2(&actions, childInput, 0)
        posix_spawn_file_actions_adddup2(&actions, childOutput, 1)
        posix_spawn_file_actions_adddup2(&actions, childError, 2)
        spawnActionCloseFrom(&actions, 3)
        if let directory { spawnActionChdir(&actions, directory) }

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGPIPE, SIGINT, SIGTERM] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(
            &attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP))

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for pointer in argv + envp { free(pointer) } }
        var child: pid_t = 0
        let code = posix_spawn(&child, executable, &actions, &attributes, argv, envp)
        guard code == 0 else {
            if parentInput >= 0 { close(parentInput) }
            throw POSIXError(POSIXErrorCode(rawValue: code) ?? .EIO)
        }
        pid = child
        input.withLock { $0 = parentInput }
        let thread = Thread { [self] in awaitEnd() }
        thread.start()
    }

    deinit {
        input.withLock { fd in if fd >= 0 { close(fd) } }
    }

    /// Runs to the end; what it wrote to standard output (unless `stdout` sends that elsewhere)
    /// and error, and how it ended.
    public static func run(
        _ executable: String, _ arguments: [String], in directory: String? = nil,
        environment: [String: String] = ProcessInfo.processInfo.environment, stdin: Input = .nothing,
        stdout: Output? = nil
    ) throws -> (ending: Ending, stdout: String, stderr: String) {
        let run = try Captured(executable, arguments, directory, environment, stdin, stdout)
        return run.result(run.child.wait())
    }

    /// The same, waiting without holding a thread of the cooperative pool (a test's in-process
    /// stand-in of the API answers on those threads).
    public static func run(
        _ executable: String, _ arguments: [String], in directory: String? = nil,
        environment: [String: String] = ProcessInfo.processInfo.environment, stdin: Input = .nothing,
        stdout: Output? = nil
    ) async throws -> (ending: Ending, stdout: String, stderr: String) {
        let run = try Captured(executable, arguments, directory, environment, stdin, stdout)
        return run.result(await run.child.ended())
    }

    /// A child whose standard output (unless sent elsewhere) and error go to files of its own.
    private struct Captured {
        let scratch: ScratchFolder
        let child: ChildProcess

        init(
            _ executable: String, _ arguments: [String], _ directory: String?, _ environment: [String: String],
            _ stdin: Input, _ stdout: Output?
        ) throws {
            scratch = try ScratchFolder()
            child = try ChildProcess(
                executable, arguments, in: directory, environment: environment, stdin: stdin,
                stdout: stdout ?? .file(scratch.path("out")), stderr: .file(scratch.path("err")))
        }

        func result(_ ending: Ending) -> (ending: Ending, stdout: String, stderr: String) {
            (
                ending, (try? String(contentsOfFile: scratch.path("out"), encoding: .utf8)) ?? "",
                (try? String(contentsOfFile: scratch.path("err"), encoding: .utf8)) ?? ""
            )
        }
    }

    /// Writes to the child's standard input (`.pipe`); blocks while the pipe is full.
    public func write(_ data: Data) throws {
        try input.withLock { fd in
            guard fd >= 0 else { throw POSIXError(.EBADF) }
            try data.withUnsafeBytes { (bytes: UnsafeRawBufferPointer) in
                var done = 0
                while done < bytes.count {
                    let n = Glibc.write(fd, bytes.baseAddress! + done, bytes.count - done)
                    if n < 0 && errno == EINTR { continue }
                    guard n > 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
                    done += n
                }
            }
        }
    }

    /// Ends the child's standard input (`.pipe`); once.
    public func closeInput() {
        input.withLock { fd in
            if fd >= 0 { close(fd) }
            fd = -1
        }
    }

    /// Sends `signal` while the child has not been reaped (a no-op after).
    public func signal(_ signal: Int32) {
        state.withLock { state in
            if state.ending == nil { kill(pid, signal) }
        }
    }

    /// Not yet ended (it may have exited a moment ago and not been reaped).
    public var isRunning: Bool { state.withLock { $0.ending == nil } }

    /// Blocks until the child has ended.
    @discardableResult
    public func wait() -> Ending {
        reaped.wait()
        reaped.signal()
        return state.withLock { $0.ending! }
    }

    /// Waits for the end without holding a thread of the cooperative pool.
    @discardableResult
    public func ended() async -> Ending {
        await withCheckedContinuation { continuation in
            let now: Ending? = state.withLock { state in
                if state.ending == nil { state.waiters.append(continuation) }
                return state.ending
            }
            if let now { continuation.resume(returning: now) }
        }
    }

    /// The waiting thread: sees the end without reaping (`WNOWAIT`), then reaps under the lock
    /// `signal(_:)` takes.
    private func awaitEnd() {
        var info = siginfo_t()
        while waitid(P_PID, id_t(pid), &info, WEXITED | WNOWAIT) != 0 && errno == EINTR {}
        let waiters: [CheckedContinuation<Ending, Never>] = state.withLock { state in
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
            // WIFSIGNALED / WTERMSIG / WEXITSTATUS, which Swift does not import.
            let signal = status & 0x7f
            state.ending =
                signal != 0 && signal != 0x7f
                ? Ending(status: signal, signalled: true) : Ending(status: (status >> 8) & 0xff, signalled: false)
            defer { state.waiters = [] }
            return state.waiters
        }
        reaped.signal()
        let ending = state.withLock { $0.ending! }
        for waiter in waiters { waiter.resume(returning: ending) }
    }
}

// Glibc's module map leaves out what needs `_GNU_SOURCE` (glibc 2.29 and 2.34 have these).
@_silgen_name("pipe2")
private func systemPipe2(_ ends: UnsafeMutablePointer<Int32>, _ flags: Int32) -> Int32
@_silgen_name("posix_spawn_file_actions_addchdir_np")
@discardableResult
private func spawnActionChdir(_ actions: UnsafeMutablePointer<posix_spawn_file_actions_t>, _ path: UnsafePointer<CChar>)
    -> Int32
@_silgen_name("posix_spawn_file_actions_addclosefrom_np")
@discardableResult
private func spawnActionCloseFrom(_ actions: UnsafeMutablePointer<posix_spawn_file_actions_t>, _ from: Int32) -> Int32
