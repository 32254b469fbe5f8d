#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Input or output that could not be read or written (exit status 3). Names the path.
public struct IOFailure: Error, CustomStringConvertible, Sendable {
    public var path: String
    public var reason: String
    /// The system's error number, when a system call failed (a full disk, `ENOSPC`, can be told
    /// from a refused permission, `EACCES`).
    public var errno: Int32?

    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }

    public init(path: String, errno code: Int32) {
        self.init(path: path, reason: String(cString: strerror(code)))
        errno = code
    }

    public var description: String { "\(path): \(reason)" }
}

/// Where input bytes come from: a file or standard input read with `read(2)` in large blocks,
/// bytes in memory (tests; optionally handed out a few at a time to drip-feed the readers), or
/// another source inflated as gzip.
public final class ByteSource {
    public let path: String
    private let fd: Int32
    private let ownsDescriptor: Bool
    private let memory: [UInt8]?
    private var memoryOffset = 0
    private let maxReadSize: Int
    /// Bytes read ahead by `peek` and not yet handed out.
    private var pending: [UInt8] = []
    // gzip layer
    private let compressed: ByteSource?
    private let inflater: GzipInflater?
    private var input: UnsafeMutableRawBufferPointer?
    private var inputStart = 0
    private var inputEnd = 0
    private var compressedEOF = false
    /// How many gzip layers were taken off to reach this source.
    public private(set) var gzipLayers = 0
    /// For a slice of a file: the next offset to read and where the slice ends.
    private var sliceOffset = 0
    private var sliceEnd: Int?
    /// Whether the first byte served is the first byte of the input (where a BOM may stand).
    public private(set) var startsAtBeginning = true
    /// For a zip archive: its files' contents, one after another.
    private var zip: ZipEntries?
    /// Whether the bytes read count towards the progress line (`RunProgress`); off for the
    /// probes and pre-passes that read a file before or beside its records.
    public var countsProgress = true

    /// Opens `path`; `-` is standard input.
    public init(path: String) throws(IOFailure) {
        self.path = path
        memory = nil
        maxReadSize = Int.max
        compressed = nil
        inflater = nil
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

    /// Opens `path` to look at, not to read its records: its bytes do not count as progress.
    public static func probe(path: String) -> ByteSource? {
        guard let source = try? ByteSource(path: path) else { return nil }
        source.countsProgress = false
        return source
    }

    /// Opens the bytes `range` of the regular file at `path` (read with `pread`), served after
    /// `prefix` (the file's own first bytes, e.g. a CSV header for a range that lacks one).
    public convenience init(path: String, range: Range<Int>, prefix: [UInt8] = []) throws(IOFailure) {
        try self.init(path: path)
        sliceOffset = range.lowerBound
        sliceEnd = range.upperBound
        startsAtBeginning = range.lowerBound == 0 || !prefix.isEmpty
        pending = prefix
    }

    /// The same input from its start again, for a second pass: a regular file opened anew, bytes in
    /// memory served again; nil for what cannot be read twice (standard input, pipes, slices).
    public func reopened() -> ByteSource? {
        if let memory { return ByteSource(bytes: memory, name: path, maxReadSize: maxReadSize) }
        guard sliceEnd == nil, compressed == nil, regularFileSize != nil else { return nil }
        return try? ByteSource(path: path)
    }

    /// The size of a regular file, or nil (standard input, pipes, devices).
    public var regularFileSize: Int? {
        guard ownsDescriptor else { return nil }
        var info = stat()
        guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return nil }
        return Int(info.st_size)
    }

    /// Serves `bytes`, at most `maxReadSize` per read.
    public init(bytes: [UInt8], name: String = "memory", maxReadSize: Int = Int.max) {
        path = name
        memory = bytes
        fd = -1
        ownsDescriptor = false
        compressed = nil
        inflater = nil
        self.maxReadSize = max(1, maxReadSize)
    }

    /// Inflates `source` as gzip.
    private init(gzip source: ByteSource) {
        path = source.path
        memory = nil
        fd = -1
        ownsDescriptor = false
        maxReadSize = Int.max
        compressed = source
        inflater = GzipInflater()
        input = .allocate(byteCount: 1 << 20, alignment: 16)
        gzipLayers = source.gzipLayers + 1
    }

    deinit {
        if ownsDescriptor { close(fd) }
        input?.deallocate()
    }

    /// This source, or one that inflates it when it starts with gzip's magic bytes (several
    /// times for a file compressed twice, up to four layers).
    public func decompressed() throws(IOFailure) -> ByteSource {
        if zip == nil, sliceEnd == nil, let size = regularFileSize, try peek(4) == [0x50, 0x4B, 0x03, 0x04] {
            zip = try ZipEntries(fd: fd, size: size, path: path)
            pending.removeAll()
        }
        var source = self
        while try source.peek(2) == [0x1F, 0x8B] {
            guard source.gzipLayers < 4 else {
                throw IOFailure(path: path, reason: "is compressed more than four times over")
            }
            source = ByteSource(gzip: source)
        }
        return source
    }

    /// Up to `count` bytes from the start of what is left, without consuming them.
    public func peek(_ count: Int) throws(IOFailure) -> [UInt8] {
        let block = UnsafeMutableRawBufferPointer.allocate(byteCount: 4096, alignment: 16)
        defer { block.deallocate() }
        while pending.count < count {
            let n = try readFresh(into: UnsafeMutableRawBufferPointer(rebasing: block[0..<(count - pending.count)]))
            if n == 0 { break }
            pending += block[0..<n]
        }
        return Array(pending.prefix(count))
    }

    /// Reads up to `buffer.count` bytes; 0 means end of input.
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws(IOFailure) -> Int {
        if !pending.isEmpty {
            let n = min(buffer.count, pending.count)
            pending.withUnsafeBytes { buffer.baseAddress!.copyMemory(from: $0.baseAddress!, byteCount: n) }
            pending.removeFirst(n)
            return n
        }
        return try readFresh(into: buffer)
    }

    private func readFresh(into buffer: UnsafeMutableRawBufferPointer) throws(IOFailure) -> Int {
        if let memory {
            let n = min(buffer.count, maxReadSize, memory.count - memoryOffset)
            guard n > 0 else { return 0 }
            memory.withUnsafeBytes { source in
                buffer.baseAddress!.copyMemory(from: source.baseAddress! + memoryOffset, byteCount: n)
            }
            memoryOffset += n
            return n
        }
        if let compressed { return try inflate(from: compressed, into: buffer) }
        if let zip {
            let before = zip.compressedBytesRead
            let n = try zip.read(into: buffer)
            if countsProgress { RunProgress.shared.addBytes(zip.compressedBytesRead - before) }
            return n
        }
        if let sliceEnd {
            let wanted = min(buffer.count, sliceEnd - sliceOffset)
            guard wanted > 0 else { return 0 }
            let n = retryingOnInterrupt { pread(fd, buffer.baseAddress, wanted, off_t(sliceOffset)) }
            guard n >= 0 else { throw IOFailure(path: path, errno: errno) }
            sliceOffset += n
            if countsProgress { RunProgress.shared.addBytes(n) }
            return n
        }
        // SIGINT/SIGTERM during convert interrupts a waiting read: the input ends there, and the
        // run reports where it stopped.
        let stopped = { Interruption.signal != 0 }
        let n = retryingOnInterrupt(unless: stopped) { Glibc.read(fd, buffer.baseAddress, buffer.count) }
        if n < 0 && errno == EINTR { return 0 }
        guard n >= 0 else { throw IOFailure(path: path, errno: errno) }
        if countsProgress { RunProgress.shared.addBytes(n) }
        return n
    }

    private func inflate(from source: ByteSource, into buffer: UnsafeMutableRawBufferPointer) throws(IOFailure) -> Int {
        guard let input else { return 0 }
        while true {
            if inputStart == inputEnd && !compressedEOF {
                inputStart = 0
                inputEnd = try source.read(into: input)
                if inputEnd == 0 { compressedEOF = true }
            }
            let available = UnsafeRawBufferPointer(rebasing: input[inputStart..<inputEnd])
            switch inflater!.inflate(available, into: buffer) {
            case .corrupt(let reason):
                throw IOFailure(path: path, reason: "holds corrupt gzip data (\(reason))")
            case .progress(let consumed, let produced):
                inputStart += consumed
                if produced > 0 { return produced }
                if compressedEOF && inputStart == inputEnd {
                    if inflater!.isAtMemberBoundary { return 0 }
                    throw IOFailure(path: path, reason: "ends in the middle of its gzip data (the file was cut short)")
                }
                if consumed == 0 && inputStart < inputEnd && !inflater!.isAtMemberBoundary {
                    throw IOFailure(path: path, reason: "holds gzip data that does not inflate")
                }
            }
        }
    }
}
