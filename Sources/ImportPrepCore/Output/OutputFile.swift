import Dispatch

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Buffered output to a file or standard output through `write(2)`, in 1 MiB blocks.
///
/// The output buffer is one of the few unsafe places: two fixed blocks copied into with
/// `memcpy`. When one is full it is hashed (a chunk's SHA-256 is taken per block, not per
/// record) and written on a background queue while the other fills ("write-behind"); `flush()`
/// waits for it and writes the rest. A failure of a background write is thrown by the next call.
///
/// `@unchecked Sendable`: the background queue only touches the block it was handed, the hasher
/// and the counters, and only between `idle.wait()` and `idle.signal()`; the caller's thread waits
/// on `idle` before it touches them.
public final class OutputFile: @unchecked Sendable {
    public let path: String
    private let fd: Int32
    private let ownsDescriptor: Bool
    private var filling: UnsafeMutableRawPointer
    private var spare: UnsafeMutableRawPointer
    private let capacity = 1 << 20
    @exclusivity(unchecked) private var count = 0
    // Touched by the background queue, between idle.wait() and idle.signal().
    private var hasher: SHA256Hasher?
    private var written = 0
    private var failure: IOFailure?
    private let idle = DispatchSemaphore(value: 1)
    private let queue = DispatchQueue(label: "import-prep.output")

    /// Standard output.
    public static func standardOutput() -> OutputFile { OutputFile(path: "-", fd: 1, owns: false) }
    /// Standard error.
    public static func standardError() -> OutputFile { OutputFile(path: "-", fd: 2, owns: false) }

    /// Opens `path` for writing (`-` is standard output) as `OutputTarget` decides: a new or
    /// regular file is written under a fresh temporary name beside it and only takes its name in
    /// `close()`; a device, FIFO or socket is written straight through. With `hashing`,
    /// `sha256()` gives the digest of everything written. The caller has checked the path with
    /// `OutputGuard`; a refusal found only now (the path changed since) is an `IOFailure`.
    public static func create(path: String, hashing: Bool = false) throws(IOFailure) -> OutputFile {
        let file: OutputFile
        if path == "-" {
            file = standardOutput()
        } else {
            let target: OutputTarget
            do { target = try OutputTarget.classify(path, option: "output") } catch {
                throw IOFailure(path: path, reason: error.reason)
            }
            switch target {
            case .standardStream(let descriptor):
                file = OutputFile(path: path, fd: descriptor, owns: false)
            case .stream:
                let fd = open(path, O_WRONLY | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC)
                guard fd >= 0 else { throw IOFailure(path: path, errno: errno) }
                var info = stat()
                if fstat(fd, &info) != 0 || info.st_mode & S_IFMT == S_IFREG || info.st_mode & S_IFMT == S_IFBLK {
                    Glibc.close(fd)
                    throw IOFailure(path: path, reason: "changed while it was being opened; nothing was written")
                }
                file = OutputFile(path: path, fd: fd, owns: true)
            case .replaceable:
                let (fd, temporary) = try TemporaryName.create(beside: path)
                file = OutputFile(path: path, fd: fd, owns: true)
                file.temporaryPath = temporary
                file.isRegularFile = true
            }
        }
        if hashing { file.hasher = SHA256Hasher() }
        return file
    }

    /// The temporary name written to until `close()` renames it to `path` (nil: written in place).
    public private(set) var temporaryPath: String?
    private var isRegularFile = false

    /// Flushes, puts the bytes on disk and gives a temporary file its name. Written straight
    /// through (standard output, a device), it only flushes.
    public func close() throws(IOFailure) {
        do throws(IOFailure) {
            try sync()
        } catch {
            discard()
            throw error
        }
        guard let temporary = temporaryPath else { return }
        temporaryPath = nil
        // rename(2) replaces the name itself: a link planted at `path` meanwhile is replaced, never followed.
        if rename(temporary, path) != 0 {
            let code = errno
            unlink(temporary)
            throw IOFailure(path: path, errno: code)
        }
    }

    /// Removes the temporary file of an output that is not to be kept (nothing else is touched).
    public func discard() {
        guard let temporary = temporaryPath else { return }
        temporaryPath = nil
        unlink(temporary)
    }

    private init(path: String, fd: Int32, owns: Bool) {
        self.path = path
        self.fd = fd
        ownsDescriptor = owns
        filling = .allocate(byteCount: capacity, alignment: 64)
        spare = .allocate(byteCount: capacity, alignment: 64)
    }

    deinit {
        try? flush()
        // Never given its name: an output that was not closed is not left looking complete.
        discard()
        if ownsDescriptor { Glibc.close(fd) }
        filling.deallocate()
        spare.deallocate()
    }

    public func write(_ text: String) throws(IOFailure) {
        var text = text
        let failure: IOFailure? = text.withUTF8 { bytes in
            do throws(IOFailure) { try write(bytes: UnsafeRawBufferPointer(bytes)) } catch { return error }
            return nil
        }
        if let failure { throw failure }
    }

    @inline(__always)
    public func write(bytes: UnsafeRawBufferPointer) throws(IOFailure) {
        guard bytes.count <= capacity - count else { return try writeThrough(bytes) }
        if bytes.count > 0 { (filling + count).copyMemory(from: bytes.baseAddress!, byteCount: bytes.count) }
        count &+= bytes.count
    }

    @inline(__always)
    public func write(byte: UInt8) throws(IOFailure) {
        if count == capacity { try handOver() }
        filling.storeBytes(of: byte, toByteOffset: count, as: UInt8.self)
        count &+= 1
    }

    /// Fills the block, hands it over, and goes on with the rest.
    private func writeThrough(_ bytes: UnsafeRawBufferPointer) throws(IOFailure) {
        var rest = bytes
        while !rest.isEmpty {
            let n = min(rest.count, capacity - count)
            (filling + count).copyMemory(from: rest.baseAddress!, byteCount: n)
            count += n
            rest = UnsafeRawBufferPointer(rebasing: rest[n...])
            if count == capacity { try handOver() }
        }
    }

    /// Gives the full block to the background queue and goes on filling the other one.
    private func handOver() throws(IOFailure) {
        idle.wait()
        if let failure {
            idle.signal()
            throw failure
        }
        swap(&filling, &spare)
        let full = count
        count = 0
        queue.async {
            self.writeOut(UnsafeRawBufferPointer(start: self.spare, count: full))
            self.idle.signal()
        }
    }

    /// Lowercase hex SHA-256 of everything written (flushes first); only for files created with `hashing`.
    public func sha256() throws(IOFailure) -> String {
        try flush()
        return hasher.map { FileDigest.hex($0.finalize()) } ?? ""
    }

    /// Flushes and asks the system to put the bytes on disk (before a chunk gets its final name).
    public func sync() throws(IOFailure) {
        try flush()
        guard ownsDescriptor, isRegularFile else { return }
        if fsync(fd) != 0 { throw IOFailure(path: path, errno: errno) }
    }

    /// Waits for the background write, then writes what is buffered.
    public func flush() throws(IOFailure) {
        idle.wait()
        defer { idle.signal() }
        if failure == nil && count > 0 { writeOut(UnsafeRawBufferPointer(start: filling, count: count)) }
        count = 0
        if let failure { throw failure }
    }

    /// Hashes and writes one block; notes the first failure.
    private func writeOut(_ block: UnsafeRawBufferPointer) {
        guard failure == nil else { return }
        hasher?.update(block)
        if let code = writeAll(fd, block) {
            failure = IOFailure(path: path == "-" ? "standard output" : path, errno: code)
            return
        }
        #if os(Linux)
            // Start writing the block to disk now, so that the fsync when a chunk closes has
            // little left to wait for.
            if isRegularFile {
                _ = startWriteBack(fd, Int64(written), Int64(block.count), syncFileRangeWrite)
            }
        #endif
        written += block.count
    }
}

#if os(Linux)
    /// `sync_file_range(2)`: Glibc's module map leaves it out (it needs `_GNU_SOURCE`).
    @_silgen_name("sync_file_range")
    private func startWriteBack(_ fd: Int32, _ offset: Int64, _ count: Int64, _ flags: UInt32) -> Int32
    /// `SYNC_FILE_RANGE_WRITE`: start writing, do not wait.
    private let syncFileRangeWrite: UInt32 = 2
#endif

/// Fresh temporary names for outputs: `.NAME.XXXXXXXX.partial` in the output's folder, created
/// with `O_CREAT | O_EXCL | O_NOFOLLOW`, so an existing file or a planted link is never reused or
/// followed (another name is tried instead).
enum TemporaryName {
    static func create(beside path: String) throws(IOFailure) -> (fd: Int32, path: String) {
        let slash = path.lastIndex(of: "/")
        let folder = slash.map { String(path[...$0]) } ?? ""
        let name = slash.map { String(path[path.index(after: $0)...]) } ?? path
        let letters = Array("abcdefghijklmnopqrstuvwxyz0123456789".utf8)
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<100 {
            let tag = String(decoding: (0..<8).map { _ in letters.randomElement(using: &generator)! }, as: UTF8.self)
            let candidate = folder + "." + name + "." + tag + ".partial"
            let fd = open(candidate, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o644)
            if fd >= 0 { return (fd, candidate) }
            if errno != EEXIST && errno != EINTR { throw IOFailure(path: path, errno: errno) }
        }
        throw IOFailure(path: path, reason: "no free temporary name beside it after 100 tries")
    }
}
