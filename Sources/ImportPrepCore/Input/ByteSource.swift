#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Input or output that could not be read or written (exit status 3). Names the path.
public struct IOFailure: Error, CustomStringConvertible, Sendable {
    public var path: String
    public var reason: String

    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }

    public init(path: String, errno code: Int32) {
        self.init(path: path, reason: String(cString: strerror(code)))
    }

    public var description: String { "\(path): \(reason)" }
}

/// Where input bytes come from: a file or standard input read with `read(2)` in large blocks,
/// or bytes in memory (tests), optionally handed out a few at a time to drip-feed the readers.
public final class ByteSource {
    public let path: String
    private let fd: Int32
    private let ownsDescriptor: Bool
    private let memory: [UInt8]?
    private var memoryOffset = 0
    private let maxReadSize: Int

    /// Opens `path`; `-` is standard input.
    public init(path: String) throws(IOFailure) {
        self.path = path
        memory = nil
        maxReadSize = Int.max
        if path == "-" {
            fd = 0
            ownsDescriptor = false
            return
        }
        let opened = open(path, O_RDONLY | O_CLOEXEC)
        guard opened >= 0 else { throw IOFailure(path: path, errno: errno) }
        var info = stat()
        if fstat(opened, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR {
            close(opened)
            throw IOFailure(path: path, reason: "is a directory, not a file")
        }
        fd = opened
        ownsDescriptor = true
    }

    /// Serves `bytes`, at most `maxReadSize` per read.
    public init(bytes: [UInt8], name: String = "memory", maxReadSize: Int = Int.max) {
        path = name
        memory = bytes
        fd = -1
        ownsDescriptor = false
        self.maxReadSize = max(1, maxReadSize)
    }

    deinit {
        if ownsDescriptor { close(fd) }
    }

    /// Reads up to `buffer.count` bytes; 0 means end of input.
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws(IOFailure) -> Int {
        if let memory {
            let n = min(buffer.count, maxReadSize, memory.count - memoryOffset)
            guard n > 0 else { return 0 }
            memory.withUnsafeBytes { source in
                buffer.baseAddress!.copyMemory(from: source.baseAddress! + memoryOffset, byteCount: n)
            }
            memoryOffset += n
            return n
        }
        while true {
            let n = Glibc.read(fd, buffer.baseAddress, buffer.count)
            if n >= 0 { return n }
            if errno == EINTR {
                // SIGINT/SIGTERM during convert: end the input here; the run reports where it stopped.
                if Interruption.signal != 0 { return 0 }
                continue
            }
            throw IOFailure(path: path, errno: errno)
        }
    }
}
