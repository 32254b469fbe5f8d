#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Buffered output to a file or standard output through `write(2)`, flushed in 1 MiB blocks.
public final class OutputFile {
    public let path: String
    private let fd: Int32
    private let ownsDescriptor: Bool
    private var buffer: [UInt8] = []
    private let flushThreshold = 1 << 20

    /// Standard output.
    public static func standardOutput() -> OutputFile { OutputFile(path: "-", fd: 1, owns: false) }
    /// Standard error.
    public static func standardError() -> OutputFile { OutputFile(path: "-", fd: 2, owns: false) }

    /// Creates or truncates `path` (`-` is standard output).
    public static func create(path: String) throws(IOFailure) -> OutputFile {
        if path == "-" { return standardOutput() }
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw IOFailure(path: path, errno: errno) }
        return OutputFile(path: path, fd: fd, owns: true)
    }

    private init(path: String, fd: Int32, owns: Bool) {
        self.path = path
        self.fd = fd
        ownsDescriptor = owns
        buffer.reserveCapacity(flushThreshold + 4096)
    }

    deinit {
        try? flush()
        if ownsDescriptor { close(fd) }
    }

    public func write(_ text: String) throws(IOFailure) {
        buffer.append(contentsOf: text.utf8)
        if buffer.count >= flushThreshold { try flush() }
    }

    public func write(bytes: UnsafeRawBufferPointer) throws(IOFailure) {
        buffer.append(contentsOf: bytes)
        if buffer.count >= flushThreshold { try flush() }
    }

    /// Flushes and asks the system to put the bytes on disk (before a chunk gets its final name).
    public func sync() throws(IOFailure) {
        try flush()
        guard ownsDescriptor else { return }
        if fsync(fd) != 0 { throw IOFailure(path: path, errno: errno) }
    }

    public func flush() throws(IOFailure) {
        var done = 0
        while done < buffer.count {
            let n = buffer.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + done, $0.count - done) }
            if n < 0 {
                if errno == EINTR { continue }
                let code = errno
                buffer.removeAll(keepingCapacity: true)
                throw IOFailure(path: path == "-" ? "standard output" : path, errno: code)
            }
            done += n
        }
        buffer.removeAll(keepingCapacity: true)
    }
}
